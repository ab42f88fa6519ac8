"""Multi-scale + flip CAM inference speed (METHOD §3.1): images/s, batched vs one image at a time.

"One image at a time" is IRN/CLIMS `make_cam`: every scale's flip pair is its own forward pass. "Batched" is
stages/infer_cams.py: the packs of a chunk of `--batch` images that share a size go through the network
together. Two image sets: the real photos (mixed sizes, as VOC) and a uniform-size set (the synthetic world,
or VOC's many 500×375 images). Runs on CPU, and on CUDA when available (fp32 and AMP fp16).

    .venv/bin/python engine/benchmarks/bench_infer_cams.py                      # R50 OS16, VOC-like sizes
    .venv/bin/python engine/benchmarks/bench_infer_cams.py --images 64 --json bench_infer_cams.json   # on a GPU
    .venv/bin/python engine/benchmarks/bench_infer_cams.py --backbone small_cnn --long-side 64 --images 64
    .venv/bin/python engine/benchmarks/bench_infer_cams.py --devices cpu --images 4 --long-side 160 --json out.json

Timing covers the network, resizing and normalisation of CAMs on the device and the copy back; decoding and
PIL rescaling of the inputs are done once beforehand (the DataLoader overlaps them with compute in the stage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.data.transforms import MultiScaleFlip  # noqa: E402
from wsss_engine.evaluation.multiscale_cams import infer_multiscale  # noqa: E402
from wsss_engine.models.cam_net import CamNet  # noqa: E402

SHARED = Path(os.environ.get("WSSS_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared") / "data" / "photos"


def photo_images(n: int, long_side: int) -> list:
    paths = sorted((SHARED / "JPEGImages").glob("*.jpg"))[:n] if SHARED.is_dir() else []
    images = []
    for p in paths:
        img = Image.open(p).convert("RGB")
        scale = long_side / max(img.size)
        images.append(img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC))
    rng = np.random.default_rng(0)
    while len(images) < n:  # no shared data: random sizes around the long side
        h = int(rng.integers(long_side * 2 // 3, long_side + 1))
        images.append(Image.fromarray(rng.integers(0, 255, (h, long_side, 3), dtype=np.uint8)))
    return images


def uniform_images(n: int, long_side: int) -> list:
    rng = np.random.default_rng(1)
    h = long_side * 3 // 4
    return [Image.fromarray(rng.integers(0, 255, (h, long_side, 3), dtype=np.uint8)) for _ in range(n)]


def make_items(images, scales, num_classes: int) -> list:
    msf = MultiScaleFlip(scales)
    items = []
    for i, img in enumerate(images):
        label = torch.zeros(num_classes)
        label[[i % num_classes, (i * 7 + 3) % num_classes]] = 1  # 1-2 classes, as VOC
        items.append({"id": str(i), "label": label, "size": (img.height, img.width), "images": msf(img)[0]})
    return items


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def images_per_second(model, items, device, batch: int, amp: bool, repeats: int) -> float:
    chunks = [items[i : i + batch] for i in range(0, len(items), batch)]
    infer_multiscale(model, chunks[0], device, max_pairs=batch, amp=amp)  # warm-up (cudnn autotune, allocator)
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for chunk in chunks:
            infer_multiscale(model, chunk, device, max_pairs=batch, amp=amp)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet50", choices=["resnet50", "small_cnn"])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--cpu-images", type=int, default=4, help="at most this many images on CPU (R50 is slow)")
    parser.add_argument("--long-side", type=int, default=500, help="images are rescaled to this long side")
    parser.add_argument("--batch", type=int, default=8, help="images per batched chunk")
    parser.add_argument("--scales", default="1.0,0.5,1.5,2.0")
    parser.add_argument("--devices", default="cpu,cuda")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    scales = tuple(float(s) for s in args.scales.split(","))
    backbone = {"name": args.backbone, "pretrained": None}
    if args.backbone == "small_cnn":
        backbone.update(width=32, out_channels=192)
    torch.manual_seed(0)
    model = CamNet(backbone, num_classes=20).eval()
    sets = {
        "photos (mixed sizes)": make_items(photo_images(args.images, args.long_side), scales, 20),
        "uniform size": make_items(uniform_images(args.images, args.long_side), scales, 20),
    }
    rows = []
    for name in args.devices.split(","):
        if name == "cuda" and not torch.cuda.is_available():
            print("cuda: not available, skipped")
            continue
        device = torch.device(name)
        model.to(device)
        for amp in [False, True] if device.type == "cuda" else [False]:
            for set_name, items in sets.items():
                if device.type == "cpu":
                    items = items[: args.cpu_images]
                one = images_per_second(model, items, device, 1, amp, args.repeats)
                batched = images_per_second(model, items, device, args.batch, amp, args.repeats)
                rows.append(
                    {
                        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                        "amp": amp,
                        "images": set_name,
                        "n": len(items),
                        "one_at_a_time_img_s": round(one, 3),
                        "batched_img_s": round(batched, 3),
                        "speedup": round(batched / one, 2),
                    }
                )
                r = rows[-1]
                print(
                    f"{r['device']:>24} amp={str(amp):5} {set_name:22} n={len(items):3} one-at-a-time {one:8.2f} img/s   "
                    f"batched({args.batch}) {batched:8.2f} img/s   x{r['speedup']:.2f}",
                    flush=True,
                )
    meta = {
        "backbone": args.backbone,
        "images": args.images,
        "long_side": args.long_side,
        "scales": scales,
        "batch": args.batch,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(meta))
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
