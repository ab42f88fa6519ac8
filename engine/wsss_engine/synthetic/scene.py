"""Sampling one synthetic scene: a background texture plus 1–3 object classes with exact masks.

Co-occurrence (the thing CLIMS's background losses fix, docs/METHOD.md §1.4): with the default co-occurrence a
boat sits on water and a train on rails in ≥98% of its images, aeroplanes fly in the sky, sheep stand on grass
and sofas on floors in most; those textures also appear, less often, in images without the class. The tiny CLIP is trained on ``cooccur=False`` scenes (any
background) so that, like a real CLIP, it knows a boat from water.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .parts import BADGE_HIDDEN_MAX, BODY_SIZE, CLASS_COUNT_WEIGHTS, PARTS_VERSION, render_parts
from .shapes import SHAPES
from .textures import TEXTURES, render_texture

CLASSES = ["aeroplane", "boat", "bottle", "sheep", "sofa", "train"]
BACKGROUNDS = list(TEXTURES)
STYLES = ("classic", "parts")  # how objects look: shapes.py all over, or parts.py's badge on a plain body


def check_style(style: str, what: str = "synthetic world style") -> None:
    """The one check of a world style (scenes, WorldParams, TinyClipParams): ValueError naming the known ones."""
    if style not in STYLES:
        raise ValueError(f"{what} {style!r} is not one of {', '.join(STYLES)}")


def style_key_fields(fields: dict) -> dict:
    """A cache key's fields (asdict of WorldParams / TinyClipParams) as the style asks: the classic style keeps the
    keys it had before styles existed (no style field); the parts style adds parts.PARTS_VERSION."""
    fields = dict(fields)
    if fields.pop("style") != "classic":
        fields.update(style="parts", parts_version=PARTS_VERSION)
    return fields


# class -> (its co-occurring texture, probability); checked in this priority order
DEFAULT_COOCCURRENCE = {
    "boat": ["water", 0.98],
    "train": ["rails", 0.98],
    "aeroplane": ["sky", 0.9],
    "sheep": ["grass", 0.85],
    "sofa": ["floor", 0.9],
}
# backgrounds of everything else: water, rails and sky appear without boats, trains and planes too (as in real
# photos), so the texture alone does not tell the class and the CAM must also find the object
NEUTRAL = (("floor", 0.3), ("sand", 0.15), ("grass", 0.2), ("water", 0.12), ("rails", 0.12), ("sky", 0.11))
EXCLUSIVE = ("boat", "train")  # never in the same image: each keeps its own texture


@dataclass
class Scene:
    image: np.ndarray  # float32 (h, w, 3) in [0, 1]
    label: np.ndarray  # uint8 (h, w): 0 background, 1..C classes (no void band)
    instances: list = field(default_factory=list)  # [(class index 0..C-1, visible bool mask)]
    background: str = ""
    discs: list = field(default_factory=list)  # parts style: each instance's visible badge disc (bool mask), in order

    @property
    def classes(self) -> list[int]:
        """Class indices (0..C-1) that are visible, ascending."""
        return sorted({k for k, m in self.instances if m.any()})


def _pick(rng, weighted):
    names, p = zip(*weighted)
    p = np.asarray(p, float)
    return names[rng.choice(len(names), p=p / p.sum())]


def choose_background(rng, names: list[str], cooccurrence: dict | None) -> str:
    if cooccurrence is None:
        return BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    for cls, (texture, prob) in cooccurrence.items():
        if cls in names:
            return texture if rng.random() < prob else _pick(rng, NEUTRAL)
    return _pick(rng, NEUTRAL)


CLASSIC_CLASS_COUNTS = (0.45, 0.35, 0.20)  # 1, 2 or 3 classes in a classic scene (the parts style: VOC's shares)


def choose_classes(rng, n_weights=CLASSIC_CLASS_COUNTS) -> list[str]:
    n = 1 + rng.choice(len(n_weights), p=np.asarray(n_weights) / sum(n_weights))
    names = list(rng.choice(CLASSES, size=n, replace=False))
    if all(e in names for e in EXCLUSIVE):
        names.remove(EXCLUSIVE[rng.integers(2)])
    return names


def place_objects(rng, h, w, names, canvas, label, max_tries=8, style="classic"):
    """Draw the objects back to front: (instances, in the parts style each instance's visible badge disc, else []).
    Placements that would hide too much of any object are rejected. In the parts style (parts.py) a placement is
    also rejected when it would hide more than parts.BADGE_HIDDEN_MAX of an earlier object's badge (every object
    keeps what tells its class), and each body takes a colour no earlier body of the image has while one is left
    (two bodies of one colour would meet with no visible boundary)."""
    scale = h / 64.0
    instances: list[tuple[int, np.ndarray]] = []
    badges: list[tuple[np.ndarray, int]] = []  # parts: each placed object's visible badge and its full size
    colours: list[int] = []  # parts: the body colours used so far
    order = [n for n in names for _ in range(1 + (rng.random() < 0.2))]
    rng.shuffle(order)
    for name in order:
        render, (lo, hi) = SHAPES[name]
        if style == "parts":
            render, (lo, hi) = partial(render_parts, name=name, taken=tuple(colours)), BODY_SIZE
        for _ in range(max_tries):
            s = rng.uniform(lo, hi) * scale
            cx, cy = rng.uniform(0.22 * w, 0.78 * w), rng.uniform(0.3 * h, 0.75 * h)
            mask, rgb, *part = render(rng, h, w, cx, cy, s, bool(rng.random() < 0.5))
            if mask.sum() < 12 * scale * scale:
                continue
            if any((m & ~mask).sum() < 0.6 * m.sum() for _, m in instances):
                continue
            if any(n - (d & ~mask).sum() > BADGE_HIDDEN_MAX * n for d, n in badges):  # hidden once drawn
                continue
            break
        else:
            continue
        canvas[mask] = rgb[mask]
        label[mask] = CLASSES.index(name) + 1
        instances = [(k, m & ~mask) for k, m in instances] + [(CLASSES.index(name), mask)]
        if part:
            badges = [(d & ~mask, n) for d, n in badges] + [(part[0], int(part[0].sum()))]
            colours.append(part[1])
    return instances, [d for d, _ in badges]


def sample_scene(
    rng: np.random.Generator,
    size: int = 64,
    cooccurrence: dict | None = DEFAULT_COOCCURRENCE,
    names: list[str] | None = None,
    noise: float = 0.02,
    style: str = "classic",
) -> Scene:
    check_style(style)
    if names is None:
        names = choose_classes(rng, CLASS_COUNT_WEIGHTS if style == "parts" else CLASSIC_CLASS_COUNTS)
    names = list(names)
    background = choose_background(rng, names, cooccurrence)
    canvas = render_texture(background, rng, size, size)
    label = np.zeros((size, size), np.uint8)
    instances, discs = place_objects(rng, size, size, names, canvas, label, style=style)
    canvas += rng.normal(0, noise, canvas.shape).astype(np.float32)
    return Scene(np.clip(canvas, 0, 1), label, instances, background, discs)


def void_band(label: np.ndarray) -> np.ndarray:
    """VOC-style 255 band: background pixels touching an object (8-neighbourhood) become void."""
    fg = label > 0
    padded = np.pad(fg, 1)
    h, w = fg.shape
    near = np.zeros_like(fg)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            near |= padded[dy : dy + h, dx : dx + w]
    out = label.copy()
    out[near & ~fg] = 255
    return out


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
