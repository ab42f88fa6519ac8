"""IRN training-step throughput and peak memory (METHOD §4.2): frozen ResNet-50 OS16 (random weights: speed
only), edge + displacement branches, path-index loss at radius 10 on the stride-4 grid, SGD step.

    .venv/bin/python engine/benchmarks/bench_train_irn.py --devices cuda --json irn.json   # batch 32, crop 512
    .venv/bin/python engine/benchmarks/bench_train_irn.py --devices cpu --batch 4 --crop 128 --radius 5

Printed: images/s, ms/step (median of the timed steps after warm-up) and peak memory (CUDA:
max_memory_allocated; CPU: process max RSS). With --amp bf16 the network runs under bf16 autocast (the loss
in fp32), as the stage does with amp "bf16".
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_random_walk import available_devices  # noqa: E402  (this folder is on sys.path)
from wsss_engine.refine.irn_loss import irn_loss  # noqa: E402
from wsss_engine.refine.irn_net import IrnNet  # noqa: E402
from wsss_engine.refine.path_index import PathIndex  # noqa: E402
from wsss_engine.training.loop import autocast, resolve_amp  # noqa: E402
from wsss_engine.training.optim import OptimConfig, build_optimizer  # noqa: E402


def run(device: torch.device, batch: int, crop: int, radius: int, steps: int, warmup: int, amp: str) -> dict:
    torch.manual_seed(0)
    model = IrnNet({"name": "resnet50", "pretrained": None, "fixed_bn": True}).to(device).train()
    edge_params, dp_params = model.branch_parameters()
    optimizer, _ = build_optimizer(
        [{"name": "edge", "params": edge_params}, {"name": "displacement", "params": dp_params, "lr_mult": 10.0}],
        OptimConfig(lr=0.1),
        max_steps=steps + warmup,
    )
    index = PathIndex(radius)
    images = torch.randn(batch, 3, crop, crop, device=device)
    labels = torch.randint(0, 3, (batch, crop // 4, crop // 4), device=device)
    amp = resolve_amp(amp, device)
    times = []
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        with autocast(amp, device):
            edge, disp = model(images)
        loss, _ = irn_loss(edge, disp, labels, index)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    peak = (
        torch.cuda.max_memory_allocated()
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    return {
        "device": str(device),
        "batch": batch,
        "crop": crop,
        "radius": radius,
        "amp": amp,
        "ms_per_step": round(seconds * 1000, 1),
        "images_per_s": round(batch / seconds, 2),
        "peak_gib": round(peak / 2**30, 3),
        "loss": float(loss.detach()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="cpu,cuda")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--crop", type=int, default=512)
    parser.add_argument("--radius", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--amp", default="off", help="off | bf16 | fp16 | auto")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = []
    for device in available_devices(args.devices):
        row = run(device, args.batch, args.crop, args.radius, args.steps, args.warmup, args.amp)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": "train_irn", "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
