"""How often objects of different classes meet in a set of ground-truth masks (docs/SYNTHETIC-WORLD.md §3).

IRN's walk (METHOD §4.3) loses most where two objects of different classes touch: the edge between them is the
one its edge branch learns worst (refinement_bound.py --irn). How much that costs a dataset depends on how often
such contacts occur, so a synthetic world meant to stand in for VOC should not have many more of them. Printed,
for one mask folder and list:
  - images: how many masks were read;
  - multi_class: the share of images with two or more object classes;
  - touching: the share of images in which two objects of different classes meet;
  - contour_other_class: the share of object contour pixels (object pixels with a 4-neighbour of another label,
    void included) whose nearest labelled pixel of another label is an object of another class rather than
    background. Void (255) is skipped when looking for the nearest label, so VOC's 5-px void band between two
    objects does not hide their contact; a contact counts up to `--max-gap` pixels away.

  python engine/benchmarks/class_contact.py --masks VOC/SegmentationClass --list VOC/ImageSets/Segmentation/val.txt
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.data.labels import read_mask  # noqa: E402

VOID = 255


def contacts(gt: np.ndarray, max_gap: float = 12.0) -> tuple[int, int]:
    """(object contour pixels, those of them whose nearest labelled pixel of another label, void skipped and at
    most ``max_gap`` px away, belongs to another object class rather than background)."""
    classes = [int(k) for k in np.unique(gt) if k not in (0, VOID)]
    far = np.full(gt.shape, np.inf)
    to_bg = ndimage.distance_transform_edt(gt != 0) if (gt == 0).any() else far
    contour_total = other_total = 0
    for k in classes:
        mask = gt == k
        contour = mask & ~ndimage.binary_erosion(mask, border_value=1)
        others = (gt != k) & (gt != 0) & (gt != VOID)
        to_other = ndimage.distance_transform_edt(~others) if others.any() else far
        near_other = (to_other[contour] < to_bg[contour]) & (to_other[contour] <= max_gap)
        contour_total += int(contour.sum())
        other_total += int(near_other.sum())
    return contour_total, other_total


def measure(paths, max_gap: float = 12.0) -> dict:
    """The statistics above over the masks at ``paths``."""
    images = multi = touching = contour = other = 0
    for path in paths:
        gt = read_mask(path)
        images += 1
        multi += len([k for k in np.unique(gt) if k not in (0, VOID)]) >= 2
        c, o = contacts(gt, max_gap)
        contour, other = contour + c, other + o
        touching += o > 0
    return {
        "images": images,
        "multi_class": multi / max(images, 1),
        "touching": touching / max(images, 1),
        "contour_other_class": other / max(contour, 1),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--masks", type=Path, required=True, help="folder of ground-truth mask PNGs")
    ap.add_argument("--list", type=Path, help="ids to read, one per line (default: every PNG in --masks)")
    ap.add_argument("--max-gap", type=float, default=12.0, help="farthest contact counted, in pixels")
    args = ap.parse_args(argv)
    if args.list:
        ids = [line.strip() for line in args.list.read_text().splitlines() if line.strip()]
        paths = [args.masks / f"{i}.png" for i in ids]
    else:
        paths = sorted(args.masks.glob("*.png"))
    out = measure(paths, args.max_gap)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
