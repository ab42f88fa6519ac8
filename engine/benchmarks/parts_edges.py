"""Which boundaries of the parts world a trained IRN marks as edges (docs/SYNTHETIC-WORLD.md §3).

refinement_bound.py --irn shows that IRN's walk loses most at boundaries between objects of different classes,
where its edge probability is weak. This tool asks why, by splitting the stride-4 cells of a parts world's list
by what the world drew there, which the ground truth alone cannot tell (it has no instances and no badges):
  - "badge disc": inside one object, where its badge's disc meets its body (two colours, one class);
  - "inside objects, elsewhere": the other cells inside one object;
  - "two objects of one class": where two objects of the same class meet (two bodies; no edge in the labels);
  - "class-class": where objects of different classes meet (two bodies; an edge in the labels);
  - "class-background".
The scenes are drawn again from the world's own parameters (world.json) and checked against its masks; a world
written by another drawing version stops with an error. Printed: IRN's mean edge probability per kind of cell.

  python engine/benchmarks/parts_edges.py --root WORLD --irn RUN/checkpoints/irn.pt --list train
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from refinement_bound import _blocks, cell_kinds, irn_edges  # noqa: E402
from wsss_engine.data.labels import read_mask  # noqa: E402
from wsss_engine.synthetic.scene import void_band  # noqa: E402
from wsss_engine.synthetic.world import WorldParams, draw_scene, image_id, load_world_meta  # noqa: E402

KINDS = ("badge disc", "inside objects, elsewhere", "two objects of one class", "class-class", "class-background")


def scene_cells(scene, gt: np.ndarray, cell: int = 4) -> dict[str, np.ndarray]:
    """Each KINDS name -> a bool map of the cells of that kind, from a parts scene and its ground truth."""
    instance = np.zeros(gt.shape, np.int64)
    disc = np.zeros(gt.shape, np.int64)
    for j, ((_, visible), badge) in enumerate(zip(scene.instances, scene.discs)):
        instance[visible] = j + 1
        disc[badge] = 1  # the visible disc: within the visible object
    kinds = cell_kinds(gt, cell)
    inst, dsc = _blocks(instance, cell), _blocks(disc, cell)
    one_object = (inst.max(-1) == inst.min(-1)) & (inst.min(-1) > 0)
    badge = one_object & (dsc.max(-1) != dsc.min(-1))
    same_class = kinds["inside objects"] & ~one_object & (inst.min(-1) > 0)
    elsewhere = kinds["inside objects"] & ~badge & ~same_class
    return dict(zip(KINDS, (badge, elsewhere, same_class, kinds["class-class"], kinds["class-background"])))


def checked_scenes(root: Path, ids: list[str]):
    """(image id, scene, ground truth) for each of the train_aug images ``ids`` of the parts world ``root``: the
    scene drawn again from world.json, checked against the image's mask (SystemExit if it differs)."""
    params = WorldParams(**load_world_meta(root)["params"])
    if params.style != "parts":
        raise SystemExit(f"{root} is not a parts world (style {params.style!r})")
    index = {image_id("train_aug", i): i for i in range(params.n_train_aug)}
    for iid in ids:
        scene = draw_scene(params, "train_aug", index[iid])
        gt = read_mask(root / "SegmentationClass" / f"{iid}.png")
        if not np.array_equal(void_band(scene.label), gt):
            raise SystemExit(
                f"{iid}: the scene drawn again differs from its mask: {root} was written by another version"
            )
        yield iid, scene, gt


def measure(root: Path, ids: list[str], edges) -> dict:
    """Mean of ``edges(image_id)`` (a stride-4 map) over each kind of cell of the train_aug images ``ids``."""
    sums = {k: [0.0, 0] for k in KINDS}
    for iid, scene, gt in checked_scenes(root, ids):
        edge = np.asarray(edges(iid))
        for kind, cells in scene_cells(scene, gt).items():
            sums[kind][0] += float(edge[cells].sum())
            sums[kind][1] += int(cells.sum())
    return {k: {"cells": n, "mean": round(t / max(n, 1), 3)} for k, (t, n) in sums.items()}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, type=Path, help="a parts world (synthetic cache folder)")
    ap.add_argument("--irn", required=True, help="a train_irn checkpoint")
    ap.add_argument("--list", default="train", help="a list of train_aug images (train or train_aug)")
    args = ap.parse_args(argv)
    ids = (args.root / "ImageSets/Segmentation" / f"{args.list}.txt").read_text().split()
    irn = irn_edges(args.irn, args.root, args.list)
    with torch.no_grad():
        out = measure(args.root, ids, lambda i: irn(i).numpy())
    for kind, r in out.items():
        print(f"  IRN edge probability, {kind:26s}: {r['mean']:.3f} over {r['cells']} cells")
    return out


if __name__ == "__main__":
    main()
