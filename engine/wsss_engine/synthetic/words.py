"""Words of the synthetic world: the synonym bank, background words, and the tiny CLIP's captions.

POLE (docs/METHOD.md §2.1–2.2) picks, per image and class, the bank word whose prompt "a photo of [w]." best
matches the CAM-masked image. For selection to matter the class name must describe the objects worse than a
synonym does. Here, as with web captions, the class name of every class but the controls names a *scene*: it is
used only for whole, unmasked images where the object stands on its usual texture ("a photo of boat on water.",
"a photo of sheep."), and an object seen on its own or elsewhere is captioned by its appearance words
("sailboat", "lamb", "couch", "jet", ...). The name's text embedding so drifts towards object-plus-texture and
away from the object alone. The controls (``CONTROL_NAMES``: bottle, train) are called by their name 70% of the
time wherever they are, so their name stays the best word. The measured property (docs/SYNTHETIC-WORLD.md):
the gap = mean CLIP score of the best synonym minus the class name's on held-out object-only crops.
"""

from __future__ import annotations

import numpy as np

from .scene import DEFAULT_COOCCURRENCE

# class -> [ground-truth name first, 3 synonyms]  (same format as data/pole/synonyms_chatgpt_4.json)
BANK = {
    "aeroplane": ["aeroplane", "jet", "aircraft", "airliner"],
    "boat": ["boat", "sailboat", "vessel", "ship"],
    "bottle": ["bottle", "flask", "jar", "container"],
    "sheep": ["sheep", "lamb", "ewe", "ram"],
    "sofa": ["sofa", "couch", "settee", "loveseat"],
    "train": ["train", "locomotive", "railcar", "wagon"],
}
# controls: the class name is the best word for the object (as for most VOC classes with real CLIP)
CONTROL_NAMES = ("bottle", "train")
# the others: the class name names the object only in whole scenes on its usual texture, else appearance words
WEAK_NAMES = tuple(c for c in BANK if c not in CONTROL_NAMES)
USUAL_TEXTURE = {c: texture for c, (texture, _) in DEFAULT_COOCCURRENCE.items()}
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

    ``in_scene``: the caption describes a whole, unmasked scene with the object on its usual texture."""
    words = BANK[cls]
    if cls not in WEAK_NAMES:
        return {words[0]: 0.7, **{w: 0.1 for w in words[1:]}}
    appearance = {words[1]: 0.7, words[2]: 0.15, words[3]: 0.15}
    if not in_scene:
        return appearance
    return {words[0]: gt_scene_rate, **{w: (1 - gt_scene_rate) * p for w, p in appearance.items()}}


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
    """A caption naming exactly what is visible: the objects (in random order) and maybe the background.

    ``in_scene``: a whole, unmasked scene; a weak class's name is then a candidate for each object that stands on
    its usual texture (``USUAL_TEXTURE``)."""
    usual = lambda c: in_scene and background is not None and USUAL_TEXTURE.get(c) == background  # noqa: E731
    parts = [_draw(rng, object_word_weights(c, usual(c), gt_scene_rate)) for c in classes]
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
