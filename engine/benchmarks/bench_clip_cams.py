"""Training-free CLIP CAMs (METHOD §10) on the SYNTHETIC world: class name vs POLE's selected word vs fusion of
the top-2 words, over tiny-CLIP seeds (the world is fixed; each seed is a separately trained tiny CLIP, the only
thing a training-free CAM depends on), plus their speed against trained-CAM inference (infer_cams, the
synthetic variants' small CNN at 2 scales + flips, random weights: speed only) on the same images.

    .venv/bin/python engine/benchmarks/bench_clip_cams.py --seeds 0,1,2 --out runs/bench-clip-cams

Prints one table and writes <out>/clip_cams.json. Figures: docs/BENCHMARKS.md "Training-free CLIP CAMs".

    .venv/bin/python engine/benchmarks/bench_clip_cams.py --vit-device cuda --json out.json   (scripts/device-check.sh)

instead times CLIP-ES's own setting: open_clip ViT-B-16 with QuickGELU (random weights: speed only, no
download) on 500×375 images at scale 1 with the attention refinement, 2 labelled classes + the VOC background
words per image, fp32 and fp16 (the CLIP's precision on CUDA), CAMs/s and peak memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.models.cam_net import CamNet  # noqa: E402
from wsss_engine.pipeline import execute_run, prepare_run  # noqa: E402
from wsss_engine.synthetic.clip_cache import ensure_tiny_clip  # noqa: E402
from wsss_engine.synthetic.tiny_clip import TinyClipParams  # noqa: E402
from wsss_engine.synthetic.world import WorldParams, ensure_world  # noqa: E402

MODES = {"class": {}, "selected": {"words": "selected"}, "fusion": {"words": "fusion", "top_k": 2}}
# The synthetic world's 64-px images at scale 2 (128 px, a 4×4 layer4 grid) were best on 80 images of the
# eval list among scale 1/2/3/4 × layer2/3/4 (class-name CAMs, seed-0 tiny CLIP).
SYNTHETIC = {"background": "synthetic", "scale": 2.0, "layer": "layer4"}


def trained_cam_checkpoint(path: Path, classes: int) -> Path:
    torch.manual_seed(0)
    model = CamNet({"name": "small_cnn", "width": 16, "out_channels": 64, "pretrained": None}, num_classes=classes)
    torch.save({"model_meta": model.meta(), "model": model.state_dict(), "complete": True}, path)
    return path


def run_seed(out: Path, world: Path, clip: Path, split: str) -> dict:
    classes = json.loads((world / "classes.json").read_text())
    stages = []
    for mode, extra in MODES.items():
        stages += [
            {"id": mode, "type": "clip_cams", "split": split, **SYNTHETIC, **extra},
            {"id": f"eval_{mode}", "type": "evaluate", "cams": mode, "split": split},
        ]
    out.mkdir(parents=True, exist_ok=True)
    ckpt = trained_cam_checkpoint(out / "cam_model.pt", len(classes))
    stages.append(
        {"id": "trained", "type": "infer_cams", "model": str(ckpt), "split": split, "scales": [1.0, 0.5],
         "batch_size": 1, "num_workers": 0}
    )  # fmt: skip
    config = {
        "name": "bench-clip-cams",
        "device": "cpu",
        "synthetic": True,
        "dataset": {"root": str(world), "classes": classes, "train_list": "train_aug", "eval_list": "train"},
        "clip": {"kind": "tiny", "checkpoint": str(clip), "pretrained": None, "precision": "fp32"},
        "synonym_bank": str(world / "bank.json"),
        "stages": stages,
    }
    (out / "run.json").write_text(json.dumps(config, indent=1))
    run, loaded = prepare_run(out / "run.json", out / "run", False)
    status, error = execute_run(run, loaded, threading.Event())
    if status != "completed":
        raise SystemExit(f"run {out} {status}: {error}")
    summaries = {s["id"]: s.get("summary", {}) for s in json.loads((out / "run" / "run.json").read_text())["stages"]}
    rows = {}
    for mode in MODES:
        report = json.loads((out / "run" / "reports" / f"eval_{mode}.json").read_text())
        rows[mode] = {
            "per_class_iou": dict(zip(report["classes"], report["per_class_iou"])),
            "miou_fixed": report["miou"],
            "miou_best": report["best"]["miou"],
            "images_per_s": summaries.get(mode, {}).get("images_per_s"),
        }
    rows["trained_infer_images_per_s"] = summaries.get("trained", {}).get("images_per_s")
    return rows


def vit_speed(device: str, images: int = 20) -> dict:
    """CAMs/s of ViT-B-16 (QuickGELU, random weights) at VOC sizes with the refinement, per precision."""
    import time

    import numpy as np

    from wsss_engine.clip_cam.background import background_words
    from wsss_engine.clip_cam.maker import CamSettings, TrainingFreeCams
    from wsss_engine.data.layout import VOC_CLASSES
    from wsss_engine.models.clip_model import ClipScorer

    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 255, (375, 500, 3), dtype=np.uint8) for _ in range(images)]
    out = {}
    for precision in ("fp32", "fp16"):
        clip = ClipScorer.from_open_clip("ViT-B-16", None, None, device, precision, quick_gelu=True)
        maker = TrainingFreeCams(clip, VOC_CLASSES, {}, background_words("voc"), CamSettings())
        maker.record(photos[0], [0, 14])  # warm-up
        if device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        for rgb in photos:
            maker.record(rgb, [0, 14])
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
        out[precision] = {"images_per_s": round(images / seconds, 2), "peak_gib": peak and round(peak, 2)}
        print(precision, out[precision], flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", type=Path, default=Path("runs/bench-clip-cams"))
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--split", default="eval", help="'eval' = the world's eval list (train, 400 images)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vit-device", default=None, help="time ViT-B-16 at VOC sizes on this device instead")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.vit_device:
        result = {
            "device": args.vit_device,
            "model": "ViT-B-16 QuickGELU (random weights)",
            **vit_speed(args.vit_device),
        }
        if args.json:
            args.json.write_text(json.dumps(result, indent=1))
        return 0
    world = ensure_world(WorldParams(seed=0), args.cache_dir)
    per_seed = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        clip = ensure_tiny_clip(TinyClipParams(seed=seed), args.cache_dir)
        per_seed[seed] = run_seed(args.out / f"seed{seed}", world, clip, args.split)
        print(seed, json.dumps(per_seed[seed]), flush=True)
    print("words            mIoU@0.15        best mIoU        CAMs/s (CPU)")
    for mode in MODES:
        cols = [[r[mode][k] for r in per_seed.values()] for k in ("miou_fixed", "miou_best", "images_per_s")]
        print(f"{mode:16s} " + "  ".join(mean_std(c) for c in cols))
    print("trained-CAM inference (infer_cams, 2 scales + flips) CAMs/s:",
          mean_std([r["trained_infer_images_per_s"] for r in per_seed.values()]))  # fmt: skip
    (args.out / "clip_cams.json").write_text(json.dumps({"synthetic": True, "per_seed": per_seed}, indent=1))
    return 0


def mean_std(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
