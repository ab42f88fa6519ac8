"""The "parts" style of the synthetic world (docs/SYNTHETIC-WORLD.md §3): objects with a small discriminative part
on a large plain body, the shape of the failure IRN's refinement exists for (docs/METHOD.md §4).

In the classic style (shapes.py) each object is its class all over, so a CAM's errors there are mostly semantic
(a boat's CAM on water) and the random walk cannot mend them (SYNTHETIC-WORLD §2). Here an object is
  * a **body**: a large blob with a wavy outline, in one of a few plain colours shared by every class, and
  * a **badge**: the class's classic shape (shapes.py) at about a third of the body's size, drawn on the body
    off its centre.
Only the badge tells the class, so a classifier's CAM covers the badge and little of the body (a partial CAM,
as on a person's face in VOC), while the object's outline is one clear boundary against the background that an
edge branch can learn and the walk can fill up to. The ground truth is the whole object (body and badge).
"""

from __future__ import annotations

import numpy as np

from .shapes import SHAPES
from .textures import smooth_noise

# body colours, chosen apart from every background texture (textures.py) and shared by all classes
BODY_COLOURS = (
    (0.86, 0.52, 0.16),  # orange
    (0.58, 0.26, 0.62),  # purple
    (0.90, 0.84, 0.30),  # yellow
    (0.20, 0.62, 0.58),  # teal
    (0.84, 0.36, 0.46),  # pink
    (0.38, 0.40, 0.48),  # slate
)
# each class's emblem colour: the disc its badge sits on (bright, apart from the body colours)
EMBLEM_COLOURS = {
    "aeroplane": (0.90, 0.10, 0.10),
    "boat": (0.10, 0.70, 0.20),
    "bottle": (0.15, 0.25, 0.90),
    "sheep": (0.97, 0.97, 0.97),
    "sofa": (0.06, 0.06, 0.06),
    "train": (0.10, 0.85, 0.95),
}
BODY_SIZE = (26, 40)  # body diameter range in pixels at 64 px image size (scaled like the classic sizes)
BADGE_SCALE = 0.36  # the badge's size as a share of the body's
BADGE_HIDDEN_MAX = 0.1  # scene.place_objects: a later object may hide at most this share of an earlier badge
# how many classes a parts scene holds (1, 2, 3): PASCAL VOC 2012 train_aug's image-level labels, 10,582 images
# with 1 class 59.1%, 2 classes 29.3%, 3 or more 11.7% (SYNTHETIC-WORLD.md §3, version 3); the classic style keeps
# scene.CLASSIC_CLASS_COUNTS
CLASS_COUNT_WEIGHTS = (0.591, 0.293, 0.117)
# in a parts world's and tiny CLIP's cache key: bump it whenever the drawing or the placement rules change
# (2: badges stay visible and bodies of one image take different colours; 3: class counts as in VOC;
# SYNTHETIC-WORLD.md §3)
PARTS_VERSION = 3


def render_parts(rng, h, w, cx, cy, s, flip, name: str, taken: tuple = ()):
    """One object of class ``name`` with body size ``s`` centred at (cx, cy), its body in a colour whose index is not
    in ``taken`` while one is left: (mask bool (h, w), rgb (h, w, 3), badge disc bool (h, w), body colour index)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rx, ry = 0.5 * s * rng.uniform(0.85, 1.15), 0.38 * s * rng.uniform(0.85, 1.15)
    angle = np.arctan2((y - cy) / ry, (x - cx) / rx)
    wobble = 1 + 0.10 * np.sin(angle * rng.integers(2, 5) + rng.uniform(0, 2 * np.pi))
    body = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= wobble**2
    free = [k for k in range(len(BODY_COLOURS)) if k not in taken] or list(range(len(BODY_COLOURS)))
    colour_index = free[rng.integers(len(free))]
    colour = np.asarray(BODY_COLOURS[colour_index], np.float32)
    colour = np.clip(colour * rng.uniform(0.92, 1.08, 3), 0, 1)
    rgb = np.broadcast_to(colour, (h, w, 3)).copy()
    rgb += (0.03 * smooth_noise(rng, h, w, 6))[..., None]
    render, _ = SHAPES[name]
    side = 1 if rng.random() < 0.5 else -1
    bx = cx + side * rx * rng.uniform(0.2, 0.4)
    by = cy + ry * rng.uniform(-0.25, 0.25)
    disc = ((x - bx) ** 2 + (y - by) ** 2 <= (0.5 * BADGE_SCALE * s) ** 2) & body
    rgb[disc] = np.asarray(EMBLEM_COLOURS[name], np.float32)
    badge, badge_rgb = render(rng, h, w, bx, by, 0.8 * BADGE_SCALE * s, bool(rng.random() < 0.5))
    badge &= disc  # the part lies on the body: the object's outline is the body's
    rgb[badge] = badge_rgb[badge]
    return body, np.clip(rgb, 0, 1), disc, colour_index
