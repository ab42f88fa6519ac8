"""CLIMS/POLE training end to end from JPEG files on disk: ours vs the faithful reference (issue 11).

- reference: as the official CLIMS `step/train_clims.py` + `run_sample.py` set it up: VOC12ClassificationDataset
  transforms (PIL: long side 320..640, flip, crop 512; here data/transforms.TrainTransform), a DataLoader with
  batch 16, shuffle, num_workers 12 (capped at the CPUs), pin_memory, drop_last, non-persistent workers;
  `img.cuda()`, fp32 ResNet-50, CLIP in fp16 on CUDA (clip.load; fp32 on the CPU), THREE batched CLIP calls
  (fg for OTM, bg for BTM, fg again for CBS), the pairs from the device labels, `.item()` of the losses every
  step.
- ours: the tensor input pipeline (workers read the files; decode + augment on the device, data/encoded.py;
  persistent workers, pinned memory, prefetch 4), channels_last, bf16 autocast on CUDA (--amp), cudnn.benchmark,
  one batched CLIP call (fg and bg; CBS reuses the fg embeddings: exact, CLIP is frozen, so 2P images are encoded
  instead of 3P), pairs from the CPU labels, one host sync per step (the finite-loss check after the backward).
  Optionally torch.compile of the CAM net (--compile).
Both read the real photos replicated to --images files in a temp folder (benchmarks/e2e_common.py). Printed:
images/s of each (the median of --repeats windows of --steps steps, after --warmup steps), the ratio, the GPU
utilisation sampled by NVML while timing (when available), and with --profile a torch.profiler trace of ours:
top kernels and the share of the wall time the GPU ran no kernel.

    .venv/bin/python engine/benchmarks/bench_train_e2e.py                       # CPU, small sizes
    python engine/benchmarks/bench_train_e2e.py --device cuda --images 2048 --profile trace.json   # on a GPU
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_train_step import build_clip  # noqa: E402
from e2e_common import add_common_args, photo_copies, setup  # noqa: E402
from wsss_engine.data.encoded import EncodedVOCDataset, TrainBatches, TrainDraws, collate_encoded  # noqa: E402
from wsss_engine.data.transforms import TrainTransform  # noqa: E402
from wsss_engine.data.voc import VOCDataset  # noqa: E402
from wsss_engine.losses.clims import loss_config  # noqa: E402
from wsss_engine.models.clims_net import ClimsNet  # noqa: E402
from wsss_engine.training.clims_objective import ClimsObjective  # noqa: E402
from wsss_engine.training.compile import maybe_compile  # noqa: E402
from wsss_engine.training.loop import autocast, resolve_amp  # noqa: E402


def forever(loader):
    """Batches across epochs (a non-persistent loader restarts its workers at each, as the reference does)."""
    for _ in itertools.count():
        yield from loader


def build(name: str, args, root: Path, device: torch.device):
    ours = name == "ours"
    gpu = device.type == "cuda"
    transform = TrainTransform.for_image_size(args.crop)
    if ours:
        dataset = EncodedVOCDataset(root, None, draws=TrainDraws(transform.resize_long, args.crop))
        loader = DataLoader(
            dataset,
            batch_size=args.batch,
            shuffle=True,
            drop_last=True,
            num_workers=args.workers,
            collate_fn=collate_encoded,
            pin_memory=gpu,
            persistent_workers=args.workers > 0,
            prefetch_factor=4 if args.workers > 0 else None,
        )
        prepare = TrainBatches(dataset, args.crop, device, channels_last=gpu)
    else:
        dataset = VOCDataset(root, None, transform=transform)
        loader = DataLoader(
            dataset, batch_size=args.batch, shuffle=True, drop_last=True, num_workers=args.ref_workers, pin_memory=gpu
        )

        def prepare(batch):
            return {"image": batch["image"].to(device), "label": batch["label"].to(device, non_blocking=True)}

    torch.manual_seed(0)
    clip = build_clip(args.clip, device, "fp16")  # fp16 on CUDA in both (clip.load), fp32 on the CPU
    torch.manual_seed(1)
    backbone = {"name": args.backbone, "pretrained": None, "fixed_bn": False}
    if args.backbone == "small_cnn":
        backbone.update(width=32, out_channels=128)
    net = ClimsNet(backbone, 20).to(device)
    if ours and gpu:
        net = net.to(memory_format=torch.channels_last)
    forward = maybe_compile(net, ours and args.compile, print)
    objective = ClimsObjective(
        clip,
        loss_config("improved"),
        [str(i) for i in range(20)],
        [f"class {i}" for i in range(20)],
        clip_calls="single" if ours else "reference",
    )
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=1e-5, momentum=0.9)
    amp = resolve_amp(args.amp if ours and gpu else "off", device)
    if gpu:
        torch.backends.cudnn.benchmark = ours

    def step(batch):
        b = prepare(batch)
        with autocast(amp, device):
            cams = forward(b["image"])
            loss, terms = objective(b["image"], cams, b["label"], labels_cpu=b.get("label_cpu"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if ours:
            float(loss.detach())  # the trainer's finite-loss check, after the backward
        else:
            [float(v.detach()) for v in (loss, *terms.values())]  # the reference's avg_meter.add(... .item())
        opt.step()

    return forever(loader), step, {"amp": amp, "clip_dtype": str(clip.dtype).replace("torch.", "")}


class GpuUtilisation:
    """NVML utilisation samples every 50 ms while timing (None where pynvml/NVML is missing)."""

    def __init__(self, device: torch.device):
        self.samples, self.stop, self.device = [], threading.Event(), device

    def __enter__(self):
        if self.device.type == "cuda":
            threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self):
        while not self.stop.wait(0.05):
            try:
                self.samples.append(torch.cuda.utilization(self.device))
            except Exception:
                return

    def __exit__(self, *exc):
        self.stop.set()

    def mean(self):
        return round(statistics.mean(self.samples), 1) if self.samples else None


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(name: str, args, root: Path, device: torch.device) -> dict:
    batches, step, info = build(name, args, root, device)
    for _ in range(args.warmup):
        step(next(batches))
    rates, util = [], []
    for _ in range(args.repeats):
        sync(device)
        with GpuUtilisation(device) as gpu:
            start = time.perf_counter()
            for _ in range(args.steps):
                step(next(batches))
            sync(device)
            rates.append(args.batch * args.steps / (time.perf_counter() - start))
        util.append(gpu.mean())
    row = {"config": name, **info, "images_per_s": statistics.median(rates), "repeats": [round(r, 2) for r in rates]}
    row["gpu_utilisation_pct"] = util
    if name == "ours" and args.profile:
        row["profile"] = profile(step, batches, args, device)
    return row


def profile(step, batches, args, device: torch.device) -> dict:
    """A few steps of ours under torch.profiler: the top kernels (or CPU ops) and the GPU's idle share."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as run_profiler

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    sync(device)
    with run_profiler(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(args.profile_steps):
            step(next(batches))
        sync(device)
        wall_us = (time.perf_counter() - start) * 1e6
    prof.export_chrome_trace(args.profile)
    gpu = device.type == "cuda"
    key = "self_device_time_total" if gpu else "self_cpu_time_total"
    table = prof.key_averages().table(sort_by=key, row_limit=args.top)
    print(table)
    out = {"trace": args.profile, "steps": args.profile_steps, "wall_ms": round(wall_us / 1000, 1)}
    if gpu:  # kernels of one stream do not overlap: their summed time is the GPU's busy time
        kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        busy = sum(e.time_range.elapsed_us() for e in kernels)
        out["gpu_idle_share"] = round(max(0.0, 1 - busy / wall_us), 3)
        print(f"  GPU idle share over {args.profile_steps} steps: {out['gpu_idle_share']:.1%}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=None, help="photo copies on disk (default 2048 CUDA, 64 CPU)")
    p.add_argument("--backbone", default=None, choices=["resnet50", "small_cnn"], help="default resnet50")
    p.add_argument("--crop", type=int, default=None, help="default 512 (CUDA), 128 (CPU)")
    p.add_argument("--batch", type=int, default=None, help="default 16 (CUDA), 4 (CPU)")
    p.add_argument("--clip", default=None, help="default ViT-B-32 (CUDA), tiny (CPU); random weights")
    p.add_argument("--amp", default="bf16", choices=["bf16", "fp16", "off"])
    p.add_argument("--compile", action="store_true", help="torch.compile the CAM net in ours")
    p.add_argument("--workers", type=int, default=None, help="ours: loader workers (default min(8, CPUs // 2))")
    p.add_argument("--ref-workers", type=int, default=None, help="reference: default min(12, CPUs)")
    p.add_argument("--steps", type=int, default=None, help="steps per timed window (default 20 CUDA, 3 CPU)")
    p.add_argument("--warmup", type=int, default=None, help="default 5 CUDA, 1 CPU")
    p.add_argument("--profile", help="also profile ours; the chrome trace goes here")
    p.add_argument("--profile-steps", type=int, default=5)
    p.add_argument("--top", type=int, default=15)
    add_common_args(p)
    args = p.parse_args(argv)
    device, label, cpus = setup(args)
    gpu = device.type == "cuda"
    defaults = {
        "images": (2048, 64),
        "backbone": ("resnet50", "resnet50"),
        "crop": (512, 128),
        "batch": (16, 4),
        "clip": ("ViT-B-32", "tiny"),
        "workers": (min(8, cpus // 2), min(8, cpus // 2)),
        "ref_workers": (min(12, cpus), min(12, cpus)),
        "steps": (20, 3),
        "warmup": (5, 1),
    }
    for key, (on_gpu, on_cpu) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, on_gpu if gpu else on_cpu)
    print(
        f"== {label}: {args.backbone} crop {args.crop} batch {args.batch} CLIP {args.clip}, {args.images} JPEGs, "
        f"workers ours {args.workers} / reference {args.ref_workers}, {args.repeats} x {args.steps} steps"
    )
    with tempfile.TemporaryDirectory(prefix="wsss-bench-e2e-") as tmp:
        root = photo_copies(Path(tmp), args.images)
        rows = [measure(name, args, root, device) for name in ("reference", "ours")]
    for r in rows:
        print(
            f"  {r['config']:10} {r['images_per_s']:9.2f} img/s (median of {r['repeats']})  amp={r['amp']} "
            f"clip={r['clip_dtype']} gpu util % {r['gpu_utilisation_pct']}"
        )
    ratio = rows[1]["images_per_s"] / rows[0]["images_per_s"]
    print(f"  ours / faithful reference: {ratio:.2f}x")
    if args.json:
        meta = {k: getattr(args, k) for k in ("device", "images", "backbone", "crop", "batch", "clip", "compile")}
        Path(args.json).write_text(json.dumps({"device_name": label, **meta, "ratio": ratio, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
