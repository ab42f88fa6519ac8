"""Where on its objects a CAM network's masks lie, on the parts world (docs/SYNTHETIC-WORLD.md §3).

A parts object is a large plain body (its colour drawn from six that every class shares) carrying a small badge
whose disc shows the class. A CAM that finds only what tells the classes apart covers the disc and little of the
body. This tool splits each visible object's pixels into its badge disc and the rest of its body, and gives the
share of each that the CAMs label with the object's class (METHOD §3.2's rule: background plane at the
threshold, argmax over the image's classes), and the share of the body they leave as background. Label PNGs (IR
labels, +RW pseudo masks) are split the same way. Scenes are drawn again from the world's parameters and checked
against its masks (parts_edges.checked_scenes).

  python engine/benchmarks/parts_cams.py --root WORLD --cams baseline=RUN/cams/cams_base --cams pole=RUN/cams/cams \
      --masks pole+rw=RUN/masks/rw
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parts_edges import checked_scenes  # noqa: E402
from wsss_engine.data.cam_files import cam_path, load_cam  # noqa: E402
from wsss_engine.data.labels import read_mask  # noqa: E402
from wsss_engine.evaluation.miou import cam_to_prediction  # noqa: E402

FIXED_THRESHOLD = 0.15  # the fixed evaluation threshold (METHOD §3.2)


def measure(root: Path, ids: list[str], predict) -> dict:
    """Shares over the visible objects of the train_aug images ``ids``: of badge-disc pixels and of body pixels
    that ``predict(image_id)`` (an H×W label map, 0 background, k + 1 class k) gives the object's class, and of
    body pixels it gives background."""
    disc_hit = disc_n = body_hit = body_bg = body_n = 0
    for iid, scene, gt in checked_scenes(root, ids):
        pred = np.asarray(predict(iid))
        if pred.shape != gt.shape:
            raise SystemExit(f"{iid}: prediction {pred.shape} is not the image's size {gt.shape}")
        for (k, visible), disc in zip(scene.instances, scene.discs):
            body = visible & ~disc
            disc_hit += int((pred[disc] == k + 1).sum())
            disc_n += int(disc.sum())
            body_hit += int((pred[body] == k + 1).sum())
            body_bg += int((pred[body] == 0).sum())
            body_n += int(body.sum())
    if not disc_n or not body_n:
        raise SystemExit(f"{root}: no visible object in the {len(ids)} images")
    return {
        "badge disc": round(disc_hit / disc_n, 3),
        "body": round(body_hit / body_n, 3),
        "body as background": round(body_bg / body_n, 3),
        "pixels": {"badge disc": disc_n, "body": body_n},
    }


def cam_labels(cam_dir: Path, threshold: float):
    """image id -> the label map of its CAM file in ``cam_dir`` at ``threshold`` (METHOD §3.2)."""

    def predict(image_id: str) -> np.ndarray:
        record = load_cam(cam_path(cam_dir, image_id))
        return cam_to_prediction(record["high_res"], record["keys"], threshold)

    return predict


def mask_labels(mask_dir: Path):
    """image id -> its label PNG in ``mask_dir`` (a run's masks/<stage>: IR labels, +RW pseudo masks)."""
    return lambda image_id: read_mask(Path(mask_dir) / f"{image_id}.png")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, type=Path, help="a parts world (synthetic cache folder)")
    ap.add_argument("--cams", action="append", default=[], help="NAME=FOLDER of CAM files (a run's cams/<stage>)")
    ap.add_argument("--masks", action="append", default=[], help="NAME=FOLDER of label PNGs (a run's masks/<stage>)")
    ap.add_argument("--list", default="train", help="a list of train_aug images (train or train_aug)")
    ap.add_argument("--threshold", type=float, default=FIXED_THRESHOLD, help="background threshold (default 0.15)")
    args = ap.parse_args(argv)
    ids = (args.root / "ImageSets/Segmentation" / f"{args.list}.txt").read_text().split()
    out = {}
    sources = [(i, lambda f: cam_labels(f, args.threshold)) for i in args.cams] + [(i, mask_labels) for i in args.masks]
    if not sources:
        raise SystemExit("give at least one --cams or --masks NAME=FOLDER")
    for item, labels in sources:
        name, sep, folder = item.partition("=")
        if not sep or not Path(folder).is_dir():
            raise SystemExit(f"{item!r}: give NAME=FOLDER, an existing folder")
        out[name] = measure(args.root, ids, labels(Path(folder)))
        r = out[name]
        print(
            f"  {name:20s} badge disc {r['badge disc']:.3f}  body {r['body']:.3f}  "
            f"body as background {r['body as background']:.3f}"
        )
    return out


if __name__ == "__main__":
    main()
