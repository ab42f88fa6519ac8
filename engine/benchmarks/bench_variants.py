"""Baseline CAM vs CLIMS (GT prompt) vs POLE selection vs POLE selection + adaptors on the SYNTHETIC world,
over several training seeds: mean ± std of CAM mIoU (fixed 0.15 threshold and the sweep's best) and of the
CAM spread onto the co-occurring texture (boat -> water, train -> rails). The world and the tiny CLIP are the
demo's (cached); each seed reruns the four CAM trainings (docs/DESIGN.md#the-synthetic-world: differences under ~0.02 mIoU are
noise; compare over 3+ seeds).

    .venv/bin/python engine/benchmarks/bench_variants.py --seeds 0,1,2          # ~3 x the demo's time
    .venv/bin/python engine/benchmarks/bench_variants.py --seeds 0,1,2 --out runs/bench-variants --threads 1

Prints one table and writes <out>/variants.json.

Also prints the IR-label, +RW and segmenter mIoU of the variants that have them, and paired per-seed
differences (POLE selection / + adaptors vs the GT prompt, +RW vs the CAMs' best, segmenter vs +RW) with 95%
confidence intervals (Student's t; needs scipy, the `bench` extra). `--collect` aggregates the seeds already
run without running anything. Figures and how they were run: docs/BENCHMARKS.md (the synthetic world).
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

from wsss_engine.synthetic.demo import run_demo  # noqa: E402
from wsss_engine.synthetic.variants import LABELS, VARIANTS, Budget  # noqa: E402

PAIRS = [("pole_select", "clims_gt"), ("pole_full", "clims_gt"), ("pole_full", "pole_select"), ("clims_gt", "baseline")]


def mean_std(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def summarise(per_seed: dict[int, dict]) -> dict:
    out = {}
    for v in VARIANTS:
        rows = [r["variants"].get(v) for r in per_seed.values() if r["variants"].get(v)]
        if not rows:
            continue
        out[v] = {
            "label": LABELS[v],
            "n_seeds": len(rows),
            "miou_fixed": [r["miou_fixed"] for r in rows],
            "miou_best": [r["miou_best"] for r in rows],
            "best_threshold": [r["best_threshold"] for r in rows],
            "spread": {c: [r["spread_at_best"][c]["spread"] for r in rows] for c in ("boat", "train")},
            **{k: [r.get(k) for r in rows] for k in ("miou_ir", "miou_rw", "miou_seg")},
            "per_class_iou": {c: [r["per_class_iou"][c] for r in rows] for c in rows[0]["per_class_iou"]},
        }
    return out


def paired(a: list, b: list) -> dict | None:
    """Per-seed differences a - b: mean and its 95% confidence interval (Student's t, n - 1 degrees of freedom)."""
    from scipy import stats  # the `bench` extra of engine/pyproject.toml

    diffs = [x - y for x, y in zip(a, b) if x is not None and y is not None]
    if len(diffs) < 2:
        return None
    mean, sd = statistics.mean(diffs), statistics.stdev(diffs)
    half = float(stats.t.ppf(0.975, len(diffs) - 1)) * sd / len(diffs) ** 0.5
    return {"diffs": diffs, "mean": mean, "ci95": [mean - half, mean + half]}


# (a, b, metric a, metric b): the strategies against each other, then what refinement and the segmenter add
COMPARISONS = [
    *[(a, b, m, m) for a, b in PAIRS for m in ("miou_fixed", "miou_best")],
    *[(v, v, "miou_rw", "miou_best") for v in ("baseline", "pole_select", "pole_full")],
    *[(v, v, "miou_seg", "miou_rw") for v in ("baseline", "pole_full")],
]


def paired_differences(summary: dict) -> list[dict]:
    rows = []
    for a, b, ma, mb in COMPARISONS:
        if a in summary and b in summary:
            d = paired(summary[a][ma], summary[b][mb])
            if d:
                rows.append({"a": a, "b": b, "metric_a": ma, "metric_b": mb, **d})
    return rows


def format_paired(rows: list[dict]) -> str:
    lines = ["paired differences over seeds (a - b): mean [95% CI], per seed"]
    for r in rows:
        what = f"{LABELS[r['a']]} {r['metric_a']} - " + (
            f"{LABELS[r['b']]} {r['metric_b']}" if r["a"] != r["b"] else r["metric_b"]
        )
        lines.append(
            f"  {what:70s} {r['mean']:+.3f} [{r['ci95'][0]:+.3f}, {r['ci95'][1]:+.3f}]  "
            + " ".join(f"{x:+.3f}" for x in r["diffs"])
        )
    return "\n".join(lines)


def format_summary(summary: dict, seeds: list[int]) -> str:
    lines = [
        f"SYNTHETIC world, seeds {seeds}: CAM mIoU mean ± std (NOT PASCAL VOC numbers)",
        f"{'variant':28s} {'mIoU@0.15':>15s} {'best mIoU':>15s} {'IR labels':>15s} {'+RW':>15s} {'seg (val)':>15s} "
        f"{'boat->water':>15s} {'train->rails':>15s}",
    ]
    for s in summary.values():
        lines.append(
            f"{s['label']:28s} {mean_std(s['miou_fixed']):>15s} {mean_std(s['miou_best']):>15s} "
            f"{mean_std(s['miou_ir']):>15s} {mean_std(s['miou_rw']):>15s} {mean_std(s['miou_seg']):>15s} "
            f"{mean_std(s['spread']['boat']):>15s} {mean_std(s['spread']['train']):>15s}"
        )
    lines.append("per-class IoU at the fixed threshold 0.15, mean over seeds:")
    classes = next(iter(summary.values()))["per_class_iou"] if summary else {}
    lines.append(f"{'':28s} " + " ".join(f"{c[:9]:>9s}" for c in classes))
    for s in summary.values():
        lines.append(
            f"{s['label']:28s} "
            + " ".join(
                f"{statistics.mean([x for x in s['per_class_iou'][c] if x is not None] or [float('nan')]):9.3f}"
                for c in classes
            )
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="runs/bench-variants")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--clims-epochs", type=int, default=None)
    parser.add_argument("--baseline-epochs", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="CAM half only (the demo's --quick): no IRN, no segmenter")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: aggregate the seeds' existing <out>/seed<N>/comparison.json",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    budget = Budget()
    if args.clims_epochs:
        budget.clims_epochs = args.clims_epochs
    if args.baseline_epochs:
        budget.baseline_epochs = args.baseline_epochs
    if args.quick:
        budget.refine, budget.segment = (), ()
    out = Path(args.out)
    per_seed, t0 = {}, time.time()
    for seed in seeds:
        done = out / f"seed{seed}" / "comparison.json"
        if args.collect:
            if done.exists():
                per_seed[seed] = json.loads(done.read_text())
            continue
        per_seed[seed] = run_demo(out / f"seed{seed}", args.cache_dir, seed=seed, budget=budget)
    seeds = list(per_seed)
    summary = summarise(per_seed)
    differences = paired_differences(summary)
    text = format_summary(summary, seeds) + "\n" + format_paired(differences)
    print(text)
    result = {
        "synthetic": True,
        "seeds": seeds,
        "budget": budget.__dict__,
        "summary": summary,
        "paired_differences": differences,
        "per_seed_seconds": {s: r["seconds"] for s, r in per_seed.items()},
        "seconds": round(time.time() - t0, 1),
        "tiny_clip_report": next(iter(per_seed.values()))["tiny_clip_report"],
    }
    (out / "variants.json").write_text(json.dumps(result, indent=1, default=list))
    print(f"wrote {out / 'variants.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
