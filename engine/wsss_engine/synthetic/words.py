"""Words of the synthetic world: the synonym bank, background words, and the tiny CLIP's captions.

POLE (docs/METHOD.md §2.1–2.2) picks, per image and class, the bank word whose prompt "a photo of [w]." best
matches the CAM-masked image. For selection to matter the class name must describe the objects poorly.
Here, as with web captions, three classes are rarely called by their class name when they are seen on
their own: a boat is mostly captioned "sailboat", a sofa "couch", an aeroplane "jet". The class name is
used only for whole scenes in their usual surroundings ("a photo of boat on water."), so it drifts
towards the scene, not the object (a cosine gap the tiny CLIP's report measures).
"""

from __future__ import annotations

import numpy as np

# class -> [ground-truth name first, 3 synonyms]  (same format as data/pole/synonyms_chatgpt_4.json)
BANK = {
    "aeroplane": ["aeroplane", "jet", "aircraft", "airliner"],
    "boat": ["boat", "sailboat", "vessel", "ship"],
    "bottle": ["bottle", "flask", "jar", "container"],
    "sheep": ["sheep", "lamb", "ewe", "ram"],
    "sofa": ["sofa", "couch", "settee", "loveseat"],
    "train": ["train", "locomotive", "railcar", "wagon"],
}
# classes whose name is mostly replaced by an appearance word (bank index 1) when the object is seen alone
WEAK_NAMES = ("aeroplane", "boat", "sofa")
BACKGROUND_WORDS = {
    "water": ["water", "sea", "lake"],
    "rails": ["railway", "railroad", "track"],
    "sky": ["sky", "clouds"],
    "grass": ["grass", "field"],
    "floor": ["floor", "planks"],
    "sand": ["sand", "beach"],
}
# L_CBS background prompts for this world (the VOC list is tree, river, sea, lake, water, railway, ...)
BACKGROUND_PROMPTS = ["water", "sea", "lake", "railway", "railroad", "track", "sky", "grass", "floor", "sand"]
TEMPLATE = "a photo of {}."
STRUCTURE_WORDS = ["a", "photo", "of", "and", "on", "."]


def object_word_weights(cls: str, in_scene: bool, gt_scene_rate: float = 0.5) -> dict[str, float]:
    """How often each bank word names an object of class ``cls`` in a caption.

    ``in_scene``: the caption describes a whole, unmasked scene in the class's usual surroundings."""
    words = BANK[cls]
    if cls not in WEAK_NAMES:
        return {words[0]: 0.7, **{w: 0.1 for w in words[1:]}}
    if in_scene:
        return {
            words[0]: gt_scene_rate,
            words[1]: (1 - gt_scene_rate) * 0.7,
            words[2]: (1 - gt_scene_rate) * 0.15,
            words[3]: (1 - gt_scene_rate) * 0.15,
        }
    return {words[1]: 0.7, words[2]: 0.15, words[3]: 0.15}


def _draw(rng, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.asarray([weights[n] for n in names], float)
    return names[rng.choice(len(names), p=p / p.sum())]


def caption(
    rng: np.random.Generator,
    classes: list[str],
    background: str | None,
    in_scene: bool,
    gt_scene_rate: float = 0.5,
    p_background: float = 0.5,
) -> str:
    """A caption naming exactly what is visible: the objects (in random order) and maybe the background."""
    parts = [_draw(rng, object_word_weights(c, in_scene, gt_scene_rate)) for c in classes]
    rng.shuffle(parts)
    if background is None:
        return TEMPLATE.format(" and ".join(parts))
    bg = BACKGROUND_WORDS[background][rng.integers(len(BACKGROUND_WORDS[background]))]
    if not parts:
        return TEMPLATE.format(bg)
    if rng.random() < p_background:
        return TEMPLATE.format(" and ".join(parts) + " on " + bg)
    return TEMPLATE.format(" and ".join(parts))


def vocabulary() -> list[str]:
    """All words the tiny CLIP's tokenizer knows (multi-word entries are split on spaces)."""
    words = list(STRUCTURE_WORDS)
    for group in list(BANK.values()) + list(BACKGROUND_WORDS.values()) + [BACKGROUND_PROMPTS]:
        for entry in group:
            for w in entry.split():
                if w not in words:
                    words.append(w)
    return words


def bank_json() -> dict[str, list[str]]:
    return {cls: list(words) for cls, words in BANK.items()}
