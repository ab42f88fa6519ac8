"""Segmenter throughput and peak memory at the recipe's sizes (METHOD §5): train_segmenter's step and
infer_segmenter's multi-scale + flip inference, medians of `--repeats` (>= 3) timed repeats.

Training: DeepLabV2-ResNet-101 (caffe layout, frozen BN) with MSC (1, 0.5, 0.75), 321x321 crops, one optimizer
step = batch 10 as 5 x accumulate 2 (the reference's iter_size), the loss summed over the 4 MSC outputs, SGD
with the stage's 1x / 10x / 20x groups. Inference: 500x375 images (VOC's most common size) padded to 513,
scales (1, 0.5, 0.75) each with its flip, max fusion, softmax (no CRF: that runs on the CPU).
Random weights and random labels: speed and memory do not depend on them.

    python engine/benchmarks/bench_segmenter.py --devices cuda --amp off,bf16 --json bench_segmenter.json
    python engine/benchmarks/bench_segmenter.py --quick          # tiny CPU smoke run (small arch, 65 px)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_infer_cams import synchronize  # noqa: E402  (this folder is on sys.path when run as a script)
from wsss_engine.segmentation.deeplab import build_segmenter  # noqa: E402
from wsss_engine.segmentation.inference import predict_probs  # noqa: E402
from wsss_engine.stages.train_segmenter import msc_loss  # noqa: E402
from wsss_engine.training.loop import autocast  # noqa: E402
from wsss_engine.training.optim import OptimConfig, build_optimizer  # noqa: E402


def peak_reset(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_mib(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1) if device.type == "cuda" else None


def bench_train(meta: dict, device, amp: str, crop: int, micro: int, parts: int, steps: int, repeats: int) -> dict:
    torch.manual_seed(0)
    model = build_segmenter(meta).to(device).train()
    groups = model.param_groups()
    optimizer, _ = build_optimizer(
        [
            {"name": "backbone", "params": groups["backbone"]},
            {"name": "head", "params": groups["head"]},
            {"name": "head_bias", "params": groups["head_bias"], "lr_mult": 20.0, "weight_decay": 0.0},
        ],
        OptimConfig(lr=2.5e-4, weight_decay=5e-4, momentum_quirk=False),
        20000,
    )
    images = torch.randn(micro, 3, crop, crop, device=device)
    labels = torch.randint(0, meta["num_classes"], (micro, crop, crop), device=device)
    labels[:, : crop // 8] = 255  # some ignored pixels, as padding gives

    def step():
        optimizer.zero_grad(set_to_none=True)
        for _ in range(parts):
            with autocast(amp, device):
                loss = msc_loss(model(images), labels) / parts
            loss.backward()
        optimizer.step()

    step()  # warm-up: cudnn autotuning, allocator
    times = []
    peak_reset(device)
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        synchronize(device)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "images_per_s": round(steps * micro * parts / median, 3),
        "step_s": round(median / steps, 4),
        "peak_mib": peak_mib(device),
        "repeats_s": [round(t, 3) for t in times],
    }


def bench_infer(
    meta: dict, device, amp: bool, size: tuple[int, int], input_size: int, scales, n: int, repeats: int
) -> dict:
    torch.manual_seed(0)
    base = build_segmenter(meta).base.to(device).eval()
    images = [torch.randn(3, *size, device=device) for _ in range(n)]
    predict_probs(base, images[0], scales=scales, input_size=input_size, amp=amp)  # warm-up
    times = []
    peak_reset(device)
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for image in images:
            predict_probs(base, image, scales=scales, input_size=input_size, amp=amp).cpu()
        synchronize(device)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "images_per_s": round(n / median, 3),
        "peak_mib": peak_mib(device),
        "repeats_s": [round(t, 3) for t in times],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="cuda")
    parser.add_argument("--amp", default="off,bf16", help="training AMP modes (inference: off -> fp32, else fp16)")
    parser.add_argument("--steps", type=int, default=5, help="optimizer steps per timed repeat")
    parser.add_argument("--images", type=int, default=8, help="inference images per timed repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small arch, 65 px crops, 2 images: a CPU smoke run")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (medians)")
    meta = {"arch": "deeplabv2_resnet101", "num_classes": 21, "layout": "caffe"}
    crop, micro, parts, size, input_size = 321, 5, 2, (375, 500), 513
    if args.quick:
        meta = {"arch": "deeplabv2_small", "num_classes": 21, "aspp_rates": [2, 4, 6, 8]}
        crop, micro, size, input_size = 65, 2, (48, 64), 65
        args.steps, args.images = 1, 2
    rows = []
    devices = [torch.device(n) for n in args.devices.split(",") if n != "cuda" or torch.cuda.is_available()]
    if len(devices) < len(args.devices.split(",")):
        print("cuda: not available, skipped")
    for device in devices:
        for amp in args.amp.split(","):
            if amp != "off" and device.type != "cuda":
                continue
            train = bench_train(meta, device, amp, crop, micro, parts, args.steps, args.repeats)
            infer = bench_infer(
                meta, device, amp != "off", size, input_size, (1.0, 0.5, 0.75), args.images, args.repeats
            )
            row = {
                "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
                "amp": amp,
                "train": train,
                "infer": infer,
            }
            rows.append(row)
            print(
                f"{row['device']:>24} amp={amp:5} train {train['images_per_s']:8.2f} img/s "
                f"(step of {micro}x{parts} at {crop}px: {train['step_s']:.3f} s, peak {train['peak_mib']} MiB)   "
                f"infer {infer['images_per_s']:8.2f} img/s (peak {infer['peak_mib']} MiB)",
                flush=True,
            )
    result = {
        "meta": {
            "arch": meta["arch"],
            "crop": crop,
            "batch": f"{micro}x{parts}",
            "infer_size": size,
            "input_size": input_size,
            "scales": [1.0, 0.5, 0.75],
            "flip": True,
            "repeats": args.repeats,
            "torch": torch.__version__,
        },
        "rows": rows,
    }
    print(json.dumps(result["meta"]))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
