"""The main job (`python -m wsss_engine demo`): the whole POLE/CLIMS pipeline on the SYNTHETIC world.

1. generate (or reuse) the synthetic world and train (or reuse) the tiny CLIP, both cached in the cache dir;
2. write real run configs into <out>/configs/ and run them through the pipeline into <out>/<variant>/:
   baseline CAM -> CAMs -> POLE selection, then CLIMS with the GT prompt, POLE selection, POLE + adaptors;
   the baseline and POLE variants also get IRN's refinement half (IR labels -> IRN -> random walk, METHOD §4),
   and the baseline and POLE + adaptors variants a segmenter trained on their +RW masks (METHOD §5);
   `--quick` skips that second half;
3. print a comparison (mIoU at the fixed 0.15 threshold and at the sweep's best, pseudo-mask mIoU +RW, CAM
   spread onto the co-occurring texture) and write <out>/comparison.json. Every figure is labelled SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import torch

from .clip_cache import ensure_tiny_clip
from .clip_eval import format_report
from .spread import cam_spread, read_ids
from .tiny_clip import TinyClipParams, load_tiny_clip
from .variants import LABELS, VARIANTS, Budget, write_configs
from .world import WorldParams, ensure_world


class _Progress:
    """Pipeline events -> one stderr line per stage every few seconds."""

    def __init__(self, name: str, every: float = 5.0):
        self.name, self.every, self.last = name, every, 0.0

    def progress(self, stage_id, done, total, message):
        now = time.time()
        if now - self.last >= self.every or done == total:
            self.last = now
            print(f"  [{self.name}/{stage_id}] {done}/{total} {message}".rstrip(), file=sys.stderr, flush=True)

    def metrics(self, stage_id, step, values):
        pass


def run_variant(name: str, config: Path, run_dir: Path, fresh: bool) -> dict:
    """Run one config into run_dir: reuse a completed run of the same config, resume an unfinished one."""
    from ..pipeline import execute_run, load_run_config, prepare_run
    from ..runs.portable_paths import portable_config

    stored = run_dir / "config.json"
    record = run_dir / "run.json"
    resume = False
    if record.exists() and not fresh:
        status = json.loads(record.read_text()).get("status")
        # defaults filled and paths made portable, as the run folder stores it
        resolved = portable_config(load_run_config(config).config, Path(config).absolute().parent, run_dir)
        same = stored.exists() and json.loads(stored.read_text()).get("stages") == resolved["stages"]
        if same and status == "completed":
            print(f"  [{name}] reusing completed run {run_dir}", file=sys.stderr)
            return {"status": "completed", "seconds": 0.0, "reused": True}
        resume = same
    if record.exists() and not resume:
        import shutil

        shutil.rmtree(run_dir)
    t0 = time.time()
    run, loaded = prepare_run(config, run_dir, resume)
    status, error = execute_run(run, loaded, threading.Event(), _Progress(name))
    return {"status": status, "error": error, "seconds": round(time.time() - t0, 1), "reused": False}


def collect(out: Path, world: Path, variants) -> dict:
    rows = {}
    for v in variants:
        report_path = out / v / "reports" / "eval.json"
        if not report_path.exists():
            rows[v] = None
            continue
        rep = json.loads(report_path.read_text())
        best = rep["best"]
        ids = read_ids(world, rep.get("split") if rep.get("split") in ("train", "val", "train_aug") else "train")
        rows[v] = {
            "label": LABELS[v],
            "miou_fixed": rep["miou"],
            "threshold": rep["threshold"],
            "miou_best": best["miou"],
            "best_threshold": best["threshold"],
            "per_class_iou": dict(zip(rep["classes"], rep["per_class_iou"])),
            "spread_at_best": cam_spread(world, out / v / "cams" / "cams", ids, best["threshold"]),
        }
        # the second half: IR labels and +RW on the CAMs' list (METHOD §4), the segmenter on val (§5)
        for key, report in (("miou_ir", "eval_ir"), ("miou_rw", "eval_rw"), ("miou_seg", "eval_seg")):
            path = out / v / "reports" / f"{report}.json"
            rows[v][key] = json.loads(path.read_text())["miou"] if path.exists() else None
    return rows


def selection_summary(out: Path, variants) -> dict:
    """POLE's word counts per class (METHOD §2.2, the paper's Fig. 4) from whichever run made the selection."""
    for v in variants:
        path = out / v / "selection" / "selection_stats.json"
        if path.exists():
            stats = json.loads(path.read_text())
            lines = [f"POLE selection (from the {LABELS[v]} CAMs): words chosen per class, GT first"]
            for cls, counts in stats.items():
                lines.append(f"  {cls:10s} " + "  ".join(f"{w} {n}" for w, n in counts.items()))
            return {"source": v, "stats": stats, "text": "\n".join(lines)}
    return {}


def format_table(rows: dict) -> str:
    lines = [
        "",
        "SYNTHETIC world — mIoU of the CAMs, of the IR labels (255 as background) and of the pseudo masks "
        "after IRN's random walk (+RW, METHOD §4), all on the train list, and of the segmenter trained on the +RW "
        "masks (seg, on val, METHOD §5); background + 6 classes; NOT PASCAL VOC numbers",
        f"{'variant':28s} {'mIoU@0.15':>9s} {'best mIoU':>9s} {'@thr':>5s} {'IR':>6s} {'+RW':>6s} {'seg':>6s}   "
        "CAM spread onto co-occurring texture",
    ]
    for v, r in rows.items():
        if r is None:
            lines.append(f"{LABELS[v]:28s} (no report)")
            continue
        spread = "  ".join(
            f"{c}->{s['texture']} {s['spread']:.3f}"
            for c, s in r["spread_at_best"].items()
            if s["spread"] is not None and c in ("boat", "train")
        )
        ir, rw, seg = (
            f"{r[k]:6.3f}" if r.get(k) is not None else f"{'-':>6s}" for k in ("miou_ir", "miou_rw", "miou_seg")
        )
        lines.append(
            f"{r['label']:28s} {r['miou_fixed']:9.3f} {r['miou_best']:9.3f} {r['best_threshold']:5.2f} {ir} "
            f"{rw} {seg}   {spread}"
        )
    return "\n".join(lines)


def cli_budget(device: str, quick: bool) -> Budget:
    """The main job's budget: the defaults, with the CPU speed settings (channels-last small CNN, the CRF in two
    processes; measured in docs/BENCHMARKS.md "The main job"), and without the second half when ``quick``."""
    return Budget(device=device, channels_last=True, ir_workers=2, **({"refine": (), "segment": ()} if quick else {}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wsss_engine demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/demo", help="demo output folder (default runs/demo)")
    parser.add_argument(
        "--cache-dir", default=None, help="world + tiny CLIP cache (default $WSSS_CACHE or ~/.cache/wsss-studio)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the CAM training runs")
    parser.add_argument("--world-seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="rerun every variant even if a completed run exists")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--device", default="cpu", help="device of the CAM runs: cpu (default), cuda, auto")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument(
        "--quick", action="store_true", help="CAM half only: no IR labels, IRN, random walk or segmenter"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run_demo(
        Path(args.out),
        args.cache_dir,
        args.seed,
        args.world_seed,
        args.fresh,
        [v for v in args.variants.split(",") if v],
        budget=cli_budget(args.device, args.quick),
    )
    return 0 if all(r["status"] == "completed" for r in result["runs"].values()) else 1


def run_demo(
    out: Path,
    cache_dir=None,
    seed: int = 0,
    world_seed: int = 0,
    fresh: bool = False,
    variants=VARIANTS,
    world_params: WorldParams | None = None,
    clip_params: TinyClipParams | None = None,
    budget: Budget | None = None,
) -> dict:
    t0 = time.time()
    out = out.absolute()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    world = ensure_world(world_params or WorldParams(seed=world_seed), cache_dir, log=log)
    t_world = time.time() - t0
    clip_path = ensure_tiny_clip(
        clip_params or TinyClipParams(),
        cache_dir,
        log=log,
        progress=lambda d, n, m="": d % 50 == 0 and log(f"  [tiny-clip] {d}/{n} {m}"),
    )
    clip_meta = load_tiny_clip(clip_path).meta
    log(format_report(clip_meta["report"]))
    t_clip = time.time() - t0 - t_world
    configs = write_configs(out, seed, world, clip_path, budget or Budget(), variants)
    runs = {}
    for v in variants:
        log(f"running {LABELS[v]} ({configs[v]})")
        runs[v] = run_variant(v, configs[v], out / v, fresh)
        if runs[v]["status"] != "completed":
            log(f"  {v} {runs[v]['status']}: {runs[v].get('error')}")
            if v == "baseline":
                break
    rows = collect(out, world, variants)
    selection = selection_summary(out, variants)
    table = format_table(rows) + ("\n" + selection["text"] if selection else "")
    print(table, flush=True)
    result = {
        "synthetic": True,
        "note": "SYNTHETIC world; not comparable to PASCAL VOC numbers",
        "world": str(world),
        "tiny_clip": str(clip_path),
        "seed": seed,
        "world_seed": world_seed,
        "tiny_clip_report": clip_meta["report"],
        "variants": rows,
        "runs": runs,
        "selection_stats": selection.get("stats") if selection else None,
        "seconds": {"world": round(t_world, 1), "tiny_clip": round(t_clip, 1), "total": round(time.time() - t0, 1)},
    }
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "comparison.json.tmp"
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(out / "comparison.json")
    log(f"wrote {out / 'comparison.json'} ({result['seconds']['total']:.0f} s)")
    return result
