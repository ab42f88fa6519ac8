"""Random walk (METHOD §4.3): our sparse local transition vs the reference's dense N×N matrix, in one process.

Two problems, both with the reference's settings (radius 5, beta 10, exp_times 8 = 256 steps, K CAM channels on
the stride-4 grid): one image (default 500×375 -> a 125×94 grid, N = 11,750; the dense matrix alone is 552 MB),
and a batch of images (default 100 of 500×375; ours walks --chunk images at a time as one block-diagonal
matrix, the reference one by one). Each figure is the median of --repeats runs (>= 3); the table gives ours / dense ratios of time and
peak memory. Peak memory: torch.cuda.max_memory_allocated on CUDA; on CPU the peak resident set size above the
level before the call, sampled every millisecond (/proc/self/statm; Linux).

    .venv/bin/python engine/benchmarks/bench_random_walk.py                         # CPU and CUDA when present
    .venv/bin/python engine/benchmarks/bench_random_walk.py --devices cpu --batch 4 --batch-size 250x188
    .venv/bin/python engine/benchmarks/bench_random_walk.py --devices cuda --json rw.json    # the GPU check

The dense form's squarings cost 8·2·N³ flops: about 2.6e13 for one 500×375 image, i.e. minutes on a CPU core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.refine.random_walk import propagate  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class PeakRss:
    """Peak resident set size above the starting level while the block runs (CPU)."""

    def __enter__(self):
        self.base = self.peak = rss()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss())
        self.bytes = self.peak - self.base


def problem(n_images: int, height: int, width: int, classes: int, device: torch.device, seed: int = 0):
    """Stride-4 CAMs and smooth edge maps of `n_images` images of height×width."""
    g = torch.Generator().manual_seed(seed)
    h, w = (height + 3) // 4, (width + 3) // 4
    cams, edges = [], []
    for _ in range(n_images):
        cams.append(F.avg_pool2d(torch.rand(1, classes, h, w, generator=g), 5, 1, 2)[0].to(device))
        edges.append(
            torch.sigmoid(6 * (F.avg_pool2d(torch.rand(1, 1, h, w, generator=g), 3, 1, 1)[0, 0] - 0.6)).to(device)
        )
    return cams, edges


def measure(fn, device: torch.device, repeats: int) -> tuple[dict, object]:
    """(median time and peak memory over `repeats` calls, the last call's result)."""
    times, peaks, result = [], [], None
    for _ in range(repeats):
        result = None  # the previous result must not count in this call's peak
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            t0 = time.perf_counter()
            result = fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            peaks.append(torch.cuda.max_memory_allocated() - base)
        else:
            with PeakRss() as peak:
                t0 = time.perf_counter()
                result = fn()
                times.append(time.perf_counter() - t0)
            peaks.append(peak.bytes)
    return {
        "seconds": statistics.median(times),
        "peak_bytes": int(statistics.median(peaks)),
        "all_seconds": [round(t, 4) for t in times],
    }, result


def compare(name: str, cams, edges, device, repeats: int, dense_repeats: int, chunk: int = 1) -> dict:
    def ours():
        with torch.no_grad():  # `chunk` images per block-diagonal walk, as the stage's batch_size
            return [
                w
                for i in range(0, len(cams), chunk)
                for w in propagate(cams[i : i + chunk], edges[i : i + chunk], method="sparse")
            ]

    def dense():
        with torch.no_grad():
            return [propagate([c], [e], method="dense")[0] for c, e in zip(cams, edges)]

    ours()  # warm-up (the dense form is too slow to run an extra time; its first run is timed)
    sparse_stats, a = measure(ours, device, repeats)
    dense_stats, b = measure(dense, device, dense_repeats)
    scale = max(float(x.abs().max()) for x in b)
    diff = max(float((x - y).abs().max()) for x, y in zip(a, b)) / scale  # the two must agree
    row = {
        "problem": name,
        "device": str(device),
        "images": len(cams),
        "grid": list(cams[0].shape[-2:]),
        "max_rel_diff": diff,
        "sparse": sparse_stats,
        "dense": dense_stats,
    }
    row["time_ratio"] = row["sparse"]["seconds"] / row["dense"]["seconds"]
    row["memory_ratio"] = row["sparse"]["peak_bytes"] / max(row["dense"]["peak_bytes"], 1)
    row["goals_met"] = {"time <= 1/10": row["time_ratio"] <= 0.1, "memory <= 5%": row["memory_ratio"] <= 0.05}
    return row


def available_devices(spec: str) -> list[torch.device]:
    """The devices of a comma list ("cpu,cuda"), without CUDA when there is none (said on stderr)."""
    devices = []
    for name in spec.split(","):
        if torch.device(name).type == "cuda" and not torch.cuda.is_available():
            print(f"{name}: not available, skipped", file=sys.stderr)
            continue
        devices.append(torch.device(name))
    return devices


def size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(h), int(w)


def exact_cpu_rss() -> None:
    """Re-run this process with glibc returning every freed block over 64 KiB to the OS at once, so the resident
    set size follows the live tensors (otherwise the allocator keeps and reuses freed memory, hiding peaks)."""
    if sys.platform.startswith("linux") and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def main(argv=None) -> int:
    if argv is None:
        exact_cpu_rss()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="cpu,cuda", help="comma list; cuda is skipped when unavailable")
    parser.add_argument("--single-size", default="500x375", help="W x H of the one-image problem")
    parser.add_argument("--batch", type=int, default=100, help="images of the batch problem (0: skip)")
    parser.add_argument("--batch-size", default="500x375", help="W x H of each batch image")
    parser.add_argument(
        "--chunk",
        type=int,
        default=1,
        help="images per sparse walk (the stage's batch_size): "
        "more is fewer kernel launches on a GPU and proportionally more memory",
    )
    parser.add_argument("--classes", type=int, default=2, help="CAM channels per image (VOC averages ~1.5)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dense-repeats",
        type=int,
        default=None,
        help="repeats of the dense form (default "
        "--repeats; fewer on a CPU, where one 500x375 dense walk takes minutes)",
    )
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for device in available_devices(args.devices):
        name = str(device)
        dense_repeats = args.dense_repeats or args.repeats
        problems = [("one image " + args.single_size, 1, size(args.single_size))]
        if args.batch:
            problems.append((f"{args.batch} images {args.batch_size}", args.batch, size(args.batch_size)))
        for label, n, (h, w) in problems:
            cams, edges = problem(n, h, w, args.classes, device)
            row = compare(label, cams, edges, device, args.repeats, dense_repeats, args.chunk)
            rows.append(row)
            print(
                f"{label:28s} {name:5s} sparse {row['sparse']['seconds']:8.3f} s {row['sparse']['peak_bytes'] / 2**20:8.1f} MiB"
                f" | dense {row['dense']['seconds']:8.3f} s {row['dense']['peak_bytes'] / 2**20:8.1f} MiB"
                f" | time x{row['time_ratio']:.4f} memory x{row['memory_ratio']:.4f} | max rel diff "
                f"{row['max_rel_diff']:.1e}",
                flush=True,
            )
    result = {
        "benchmark": "random_walk",
        "settings": {
            "radius": 5,
            "beta": 10,
            "exp_times": 8,
            "classes": args.classes,
            "chunk": args.chunk,
            "repeats": args.repeats,
            "dense_repeats": args.dense_repeats or args.repeats,
            "torch_threads": torch.get_num_threads(),
        },
        "rows": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
