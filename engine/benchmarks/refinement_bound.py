"""What IRN's random walk could give on a dataset, measured with *oracle* edges (docs/SYNTHETIC-WORLD.md §2).

The random walk (METHOD §4.3) spreads CAM scores inside regions bounded by an edge map on a grid of `cell`-pixel
cells (the recipe: the stride-4 grid). Perfect boundaries are the most any edge branch can learn, so walking a
run's CAMs over edges drawn from the ground truth (a cell is an edge when its block mixes labels or holds void)
bounds what a trained IRN can reach on them. Printed, for one CAM folder and the list's ground truth:
  - the CAMs' own mIoU at a few thresholds (high_res, as the evaluate stage scores them);
  - the oracle-edge walk's mIoU per bg threshold (METHOD §4.3 output rule), per class;
  - optional: the same walk over a trained IRN's edges (--irn), and over those edges made oracle on one kind of
    boundary only: "irn+cls-cls" (cells holding two object classes set to 1) and "irn+cls-bg" (cells holding one
    object class and background), which splits the gap to the oracle between the two kinds; and IRN's mean edge
    probability on each kind of cell (class-class, class-background, inside objects, inside background);
  - the walk with no edges at all;
  - the grid's resolution limits: foreground pixels that fall in edge cells (the walk zeroes those cells'
    scores, x·(1 - edge)) and the mIoU of each cell's majority label (the best any labelling of the grid can do).
The CAMs walked are `high_res` average-pooled to the grid (equal to the stride-4 `cam` when cell = 4, up to
rounding); cell 2 or 1 shows what a finer grid would allow.

  python engine/benchmarks/refinement_bound.py --cams RUN/cams/cams --root WORLD --list train --n 200 --cell 4
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.data.cam_files import load_cam  # noqa: E402
from wsss_engine.data.labels import read_mask  # noqa: E402
from wsss_engine.evaluation.miou import cam_to_prediction, confusion_matrix, iou_per_class, mean_iou  # noqa: E402
from wsss_engine.refine.random_walk import propagate, semantic_labels  # noqa: E402


def _blocks(gt: np.ndarray, cell: int) -> np.ndarray:
    """H×W -> ceil(H/cell)×ceil(W/cell)×cell² (the image edge-padded to whole cells)."""
    h, w = gt.shape
    padded = np.pad(gt, ((0, -h % cell), (0, -w % cell)), mode="edge").astype(np.int64)
    blocks = padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell).swapaxes(1, 2)
    return blocks.reshape(*blocks.shape[:2], -1)


def oracle_edges(gt: np.ndarray, cell: int) -> torch.Tensor:
    """A ceil(H/cell)×ceil(W/cell) edge map: 1 where the cell's ground truth mixes labels or holds void (255)."""
    blocks = _blocks(gt, cell)
    return torch.from_numpy(((blocks.max(-1) != blocks.min(-1)) | (blocks == 255).any(-1)).astype(np.float32))


CELL_KINDS = ("class-class", "class-background", "inside objects", "inside background")


def cell_kinds(gt: np.ndarray, cell: int) -> dict[str, np.ndarray]:
    """Each CELL_KINDS name -> a ceil(H/cell)×ceil(W/cell) bool map: cells whose ground truth holds two or more
    object classes, one object class and background or void, one object class only, no object class. Void counts
    as background: it is the band VOC (and the synthetic world) draws between an object and the background."""
    blocks = _blocks(gt, cell)
    objects = (blocks > 0) & (blocks != 255)
    kinds = np.zeros(blocks.shape[:2], np.int64)
    for k in np.unique(blocks[objects]):
        kinds += (blocks == k).any(-1)
    has_bg = ((blocks == 0) | (blocks == 255)).any(-1)
    return dict(zip(CELL_KINDS, (kinds >= 2, (kinds == 1) & has_bg, (kinds == 1) & ~has_bg, kinds == 0)))


def grid_limits(gt: np.ndarray, cell: int, num_classes: int) -> tuple[np.ndarray, float]:
    """(confusion of the per-cell majority labelling, share of foreground pixels in edge cells)."""
    h, w = gt.shape
    edge = oracle_edges(gt, cell).numpy().astype(bool)
    blocks = _blocks(gt, cell)
    counts = np.stack([(blocks == k).sum(-1) for k in range(num_classes)], -1)
    majority = np.kron(counts.argmax(-1), np.ones((cell, cell), np.int64))[:h, :w]
    in_edge = np.kron(edge, np.ones((cell, cell), bool))[:h, :w]
    fg = (gt > 0) & (gt != 255)
    return confusion_matrix(gt, majority, num_classes), float((fg & in_edge).sum() / max(fg.sum(), 1))


def walk(record: dict, edge: torch.Tensor, cell: int) -> torch.Tensor:
    """The record's high_res CAMs pooled to the grid of `cell`-px cells, walked over `edge` (METHOD §4.3)."""
    hr = torch.from_numpy(np.asarray(record["high_res"], np.float32))
    cam = F.avg_pool2d(hr[None], cell, ceil_mode=True)[0] if cell > 1 else hr
    return propagate([cam], [edge])[0]


def measure(cam_dir: Path, root: Path, ids: list[str], cell: int, bgs, cam_thresholds, irn=None) -> dict:
    classes = ["background", *json.loads((root / "classes.json").read_text())]
    n = len(classes)
    zero = lambda: np.zeros((n, n), np.int64)  # noqa: E731
    cams = {t: zero() for t in cam_thresholds}
    edge_sets = {"oracle": {b: zero() for b in bgs}, "none": {b: zero() for b in bgs}}
    if irn is not None:
        edge_sets.update({name: {b: zero() for b in bgs} for name in ("irn", "irn+cls-cls", "irn+cls-bg")})
    majority, fg_in_edges = zero(), []
    edge_means = {k: [0.0, 0] for k in CELL_KINDS}
    for image_id in ids:
        record = load_cam(cam_dir / f"{image_id}.npy")
        gt = read_mask(root / "SegmentationClass" / f"{image_id}.png")
        high_res = np.asarray(record["high_res"], np.float32)
        for t in cam_thresholds:
            cams[t] += confusion_matrix(gt, cam_to_prediction(high_res, record["keys"], t), n)
        cf, share = grid_limits(gt, cell, n)
        majority += cf
        fg_in_edges.append(share)
        oracle = oracle_edges(gt, cell)
        edges = {"oracle": oracle, "none": torch.zeros_like(oracle)}
        if irn is not None:
            learned = irn(image_id)
            edges["irn"] = learned
            kinds = cell_kinds(gt, cell)
            for name, kind in (("irn+cls-cls", "class-class"), ("irn+cls-bg", "class-background")):
                edges[name] = torch.where(torch.from_numpy(kinds[kind]), torch.ones_like(learned), learned)
            for kind, cells in kinds.items():
                edge_means[kind][0] += float(learned.numpy()[cells].sum())
                edge_means[kind][1] += int(cells.sum())
        for name, edge in edges.items():
            walked = walk(record, edge, cell)  # once; each bg threshold only re-reads it
            for b in bgs:
                edge_sets[name][b] += confusion_matrix(
                    gt, semantic_labels(walked, record["keys"], gt.shape, b, cell), n
                )

    def row(cf):
        per_class = np.round(iou_per_class(cf), 3).tolist()
        return {"miou": round(mean_iou(cf), 3), "per_class": dict(zip(classes, per_class))}

    return {
        "images": len(ids),
        "cell": cell,
        "cam": {str(t): row(cf) for t, cf in cams.items()},
        "walk": {name: {str(b): row(cf) for b, cf in per.items()} for name, per in edge_sets.items()},
        "majority_cell_bound": row(majority),
        "fg_pixels_in_edge_cells": round(float(np.mean(fg_in_edges)), 3),
        **(
            {"irn_edge_mean": {k: {"cells": n, "mean": round(t / max(n, 1), 3)} for k, (t, n) in edge_means.items()}}
            if irn is not None
            else {}
        ),
    }


def irn_edges(checkpoint: str, root: Path, list_name: str):
    from wsss_engine.data.transforms import EvalTransform
    from wsss_engine.data.voc import VOCDataset
    from wsss_engine.refine.irn_net import load_irn

    model = load_irn(checkpoint)
    data = VOCDataset(root, list_name, json.loads((root / "classes.json").read_text()), transform=EvalTransform())
    position = {i: k for k, i in enumerate(data.ids)}
    return lambda image_id: model.edge_map(data[position[image_id]]["image"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cams", required=True, type=Path, help="a CAM folder (<run>/cams/<stage-id>)")
    ap.add_argument("--root", required=True, type=Path, help="the dataset (VOC layout with classes.json)")
    ap.add_argument("--list", default="train")
    ap.add_argument("--n", type=int, default=200, help="first n ids of the list")
    ap.add_argument("--cell", type=int, default=4, help="walk grid cell in pixels (4: the recipe's stride-4 grid)")
    ap.add_argument("--bg", default="0.2,0.3,0.45,0.6", help="bg thresholds of the walk's output rule")
    ap.add_argument("--cam-thresholds", default="0.15,0.3,0.45,0.6")
    ap.add_argument("--irn", help="a train_irn checkpoint: also walk over its edges (cell must be 4)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    ids = (args.root / "ImageSets/Segmentation" / f"{args.list}.txt").read_text().split()[: args.n]
    irn = irn_edges(args.irn, args.root, args.list) if args.irn else None
    if irn is not None and args.cell != 4:
        ap.error("--irn walks on IRN's stride-4 grid: use --cell 4")
    parse = lambda s: [float(x) for x in s.split(",")]  # noqa: E731
    with torch.no_grad():
        result = measure(args.cams, args.root, ids, args.cell, parse(args.bg), parse(args.cam_thresholds), irn)
    print(f"{result['images']} images, walk grid of {args.cell}-px cells")
    print(f"  foreground pixels in edge cells: {result['fg_pixels_in_edge_cells']:.3f}")
    print(f"  majority-label-per-cell bound:   {result['majority_cell_bound']['miou']:.3f}")
    for t, r in result["cam"].items():
        print(f"  CAM @ {t:5s}: {r['miou']:.3f}  " + " ".join(f"{v:.2f}" for v in r["per_class"].values()))
    for name, per in result["walk"].items():
        for b, r in per.items():
            print(
                f"  walk, {name:11s} edges, bg {b:5s}: {r['miou']:.3f}  "
                + " ".join(f"{v:.2f}" for v in r["per_class"].values())
            )
    for kind, r in result.get("irn_edge_mean", {}).items():
        print(f"  IRN edge probability, {kind:17s}: {r['mean']:.3f} over {r['cells']} cells")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
