"""Words of the synthetic world: the synonym bank, background words, and the tiny CLIP's captions.

POLE (docs/METHOD.md §2.1–2.2) picks, per image and class, the bank word whose prompt "a photo of [w]." best
matches the CAM-masked image. For selection to matter the class name must describe the objects worse than a
synonym does. Here, as with web captions, the class name of every class but the controls names a *scene*: it
captions whole, unmasked images where the object stands on its usual texture ("a photo of boat on water.") and,
sometimes, that texture alone ("a photo of boat." for a harbour's water); an object seen on its own or elsewhere
is captioned by its appearance words ("sailboat", "lamb", "couch", "jet", ...). The name's text embedding so
drifts towards the texture and away from the object alone. The controls (``CONTROL_NAMES``: bottle, train) are
called by their name most of the time wherever they are, and their synonyms are loose words that captions also
use for other objects (``LOOSE_USES``), so there the name is the best word. The measured property
(docs/SYNTHETIC-WORLD.md §1): the gap = mean CLIP score of the best synonym minus the class name's on held-out
object-only crops.
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
CONTROL_NAME_RATE = 0.85  # a control object is called by its name; by each synonym (1 - this) / 3
# a control's synonyms are loose words: captions also use them for these other objects ("container" for a boat
# or a sofa, "wagon" or "railcar" for any vehicle), each such object at LOOSE_RATE
LOOSE_USES = {"bottle": ("boat", "sofa"), "train": ("aeroplane", "boat")}
LOOSE_RATE = 0.1
# the others: the class name names the object only in whole scenes on its usual texture, else appearance words
WEAK_NAMES = tuple(c for c in BANK if c not in CONTROL_NAMES)
USUAL_TEXTURE = {c: texture for c, (texture, _) in DEFAULT_COOCCURRENCE.items()}
APPEARANCE_P = (0.7, 0.15, 0.15)  # a weak class's synonyms, in bank order, when it is named by its appearance
NAME_TEXTURE_RATE = 0.3  # a weak class's usual texture with no object left visible, captioned by the name
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
TEMPLATE = "a photo of {}."  # the prompt CLIMS and POLE score with
# training captions vary their opening as web captions do; "an image of" is paper Table 1's second template
CAPTION_TEMPLATES = {TEMPLATE: 0.8, "an image of {}.": 0.2}
STRUCTURE_WORDS = ["a", "photo", "of", "an", "image", "and", "on", "."]


def object_word_weights(cls: str, in_scene: bool, gt_scene_rate: float = 0.5) -> dict[str, float]:
    """How often each bank word names an object of class ``cls`` in a caption.

    ``in_scene``: the caption describes a whole, unmasked scene with the object on its usual texture."""
    words = BANK[cls]
    if cls not in WEAK_NAMES:
        own = {words[0]: CONTROL_NAME_RATE, **{w: (1 - CONTROL_NAME_RATE) / 3 for w in words[1:]}}
    else:
        own = dict(zip(words[1:], APPEARANCE_P))
        if in_scene:
            own = {words[0]: gt_scene_rate, **{w: (1 - gt_scene_rate) * p for w, p in own.items()}}
    loose = [k for k, uses in LOOSE_USES.items() if cls in uses]
    weights = {w: p * (1 - LOOSE_RATE * len(loose)) for w, p in own.items()}
    for k in loose:
        for w in BANK[k][1:]:
            weights[w] = weights.get(w, 0.0) + LOOSE_RATE / 3
    return weights


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
    """A caption naming what is visible: the objects (in random order) and maybe the background.

    ``in_scene``: a whole, unmasked scene; a weak class's name is then a candidate for each object that stands on
    its usual texture (``USUAL_TEXTURE``). A texture with no object left visible (``classes`` empty) is, at
    ``NAME_TEXTURE_RATE``, captioned by the name of the weak class it usually carries."""
    template = _draw(rng, CAPTION_TEMPLATES)
    usual = lambda c: in_scene and background is not None and USUAL_TEXTURE.get(c) == background  # noqa: E731
    parts = [_draw(rng, object_word_weights(c, usual(c), gt_scene_rate)) for c in classes]
    rng.shuffle(parts)
    if background is None:
        return template.format(" and ".join(parts))
    if not parts:
        carried = [c for c in WEAK_NAMES if USUAL_TEXTURE.get(c) == background]
        if carried and rng.random() < NAME_TEXTURE_RATE:
            return template.format(carried[0])
    bg = BACKGROUND_WORDS[background][rng.integers(len(BACKGROUND_WORDS[background]))]
    if not parts:
        return template.format(bg)
    if rng.random() < p_background:
        return template.format(" and ".join(parts) + " on " + bg)
    return template.format(" and ".join(parts))


def vocabulary() -> list[str]:
    """All words the tiny CLIP's tokenizer knows (multi-word entries are split on spaces)."""
    words = list(STRUCTURE_WORDS)
    for group in list(BANK.values()) + list(BACKGROUND_WORDS.values()) + [BACKGROUND_PROMPTS]:
        for entry in group:
            for w in entry.split():
                if w not in words:
                    words.append(w)
    return words


def caption_design() -> dict:
    """Everything the captions are made from: part of the tiny CLIP's cache key, so a checkpoint trained on
    other captions is never reused (tiny_clip.TinyClipParams.key)."""
    return {
        "bank": BANK,
        "controls": list(CONTROL_NAMES),
        "control_name_rate": CONTROL_NAME_RATE,
        "loose_uses": {k: list(v) for k, v in LOOSE_USES.items()},
        "loose_rate": LOOSE_RATE,
        "usual_texture": USUAL_TEXTURE,
        "appearance_p": list(APPEARANCE_P),
        "name_texture_rate": NAME_TEXTURE_RATE,
        "background_words": BACKGROUND_WORDS,
        "templates": CAPTION_TEMPLATES,
        "vocabulary": vocabulary(),
    }


def bank_json() -> dict[str, list[str]]:
    return {cls: list(words) for cls, words in BANK.items()}
