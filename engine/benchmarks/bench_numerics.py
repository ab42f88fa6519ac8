"""What the "fast" numerics preset costs against "reference" (issue 9 item 6): CAM mIoU on the SYNTHETIC world,
baseline CAM and CLIMS (GT prompt), over several training seeds, both presets on the same world and tiny CLIP.

  reference  fp32 training, fp16 CLIP on CUDA (clip.precision), fp32 CAM inference (what CLIMS/POLE run)
  fast       bf16 autocast for training, fp16 autocast for CAM inference

Meant for a CUDA machine (on a CPU both presets run the same fp32 kernels except CPU bf16 autocast, and slowly):

    .venv/bin/python engine/benchmarks/bench_numerics.py --device cuda --seeds 0,1,2
    .venv/bin/python engine/benchmarks/bench_numerics.py --device cuda --seeds 0,1,2 --out runs/bench-numerics

Each (preset, seed) is one demo run of the two variants (about 2 x 3 x the demo's time on CPU, a few minutes on
a GPU). Prints a table (mean ± std over seeds, and the mean per-seed difference fast - reference) and writes
<out>/numerics.json. Quote its result in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_variants import mean_std  # noqa: E402
from wsss_engine.synthetic.demo import run_demo  # noqa: E402
from wsss_engine.synthetic.variants import LABELS, Budget  # noqa: E402
from wsss_engine.training.numerics import PRESETS  # noqa: E402

VARIANTS = ("baseline", "clims_gt")


def measure(out: Path, seeds: list[int], budget: Budget, cache_dir=None) -> dict:
    """{preset: {variant: {"miou_fixed": [per seed], "miou_best": [...]}}}."""
    result: dict = {}
    for preset in PRESETS:
        for seed in seeds:
            run = run_demo(
                out / preset / f"seed{seed}",
                cache_dir,
                seed=seed,
                variants=VARIANTS,
                budget=replace(budget, numerics=preset),
            )
            for v in VARIANTS:
                row = run["variants"].get(v) or {}
                slot = result.setdefault(preset, {}).setdefault(v, {"miou_fixed": [], "miou_best": []})
                slot["miou_fixed"].append(row.get("miou_fixed"))
                slot["miou_best"].append(row.get("miou_best"))
    return result


def format_result(result: dict, seeds: list[int]) -> str:
    lines = [
        f"SYNTHETIC world, seeds {seeds}: CAM mIoU mean ± std (NOT PASCAL VOC numbers)",
        f"{'variant':22s} {'preset':10s} {'mIoU@0.15':>15s} {'best mIoU':>15s}",
    ]
    for v in VARIANTS:
        for preset in PRESETS:
            r = result[preset][v]
            lines.append(
                f"{LABELS[v]:22s} {preset:10s} {mean_std(r['miou_fixed']):>15s} {mean_std(r['miou_best']):>15s}"
            )
        diffs = [
            f - r
            for f, r in zip(result["fast"][v]["miou_fixed"], result["reference"][v]["miou_fixed"])
            if f is not None and r is not None
        ]
        if diffs:
            lines.append(f"{'':22s} fast - reference at 0.15, per seed: {statistics.mean(diffs):+.4f} (mean)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="runs/bench-numerics")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--device", default="cuda", help="cuda (meant for) | cpu | auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--stop-after", type=int, default=None, help="cap every training stage (a smoke run)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    budget = Budget(device=args.device, stop_after=args.stop_after, refine=(), segment=())  # the CAM half only
    out, t0 = Path(args.out), time.time()
    result = measure(out, seeds, budget, args.cache_dir)
    print(format_result(result, seeds))
    (out / "numerics.json").write_text(
        json.dumps(
            {
                "synthetic": True,
                "seeds": seeds,
                "budget": budget.__dict__,
                "presets": PRESETS,
                "result": result,
                "seconds": round(time.time() - t0, 1),
            },
            indent=1,
            default=list,
        )
    )
    print(f"wrote {out / 'numerics.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
