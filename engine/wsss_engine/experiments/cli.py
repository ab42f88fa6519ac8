"""`wsss-engine experiment run|resume|table FILE [--dir DIR]` (docs/EXPERIMENTS.md). DIR defaults to
runs/experiments/<file name without .wsss-experiment.json>, relative to the current folder. Ctrl-C stops
politely (the running run saves its checkpoint; `resume` continues); exit 0 completed, 1 failed, 130 stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


def add_parser(sub) -> None:
    exp = sub.add_parser("experiment", help="run, resume or tabulate an experiment (*.wsss-experiment.json)")
    exp.add_argument("action", choices=["run", "resume", "table"])
    exp.add_argument("file", help="the experiment file")
    exp.add_argument("--dir", help="experiment folder (default runs/experiments/<name>)")
    exp.add_argument(
        "--parallel",
        type=int,
        help="runs at once, each in its own process (default: one per GPU when there are several, else 1)",
    )


def default_dir(file: str) -> Path:
    from .spec import FILE_SUFFIX

    name = Path(file).name
    stem = name[: -len(FILE_SUFFIX)] if name.endswith(FILE_SUFFIX) else Path(file).stem
    return Path("runs") / "experiments" / stem


class _Progress:
    """One stderr line per progress update of the running unit."""

    def __init__(self, unit: str) -> None:
        self.unit = unit

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None:
        print(f"[{self.unit}/{stage_id}] {done}/{total} {message}".rstrip(), file=sys.stderr, flush=True)

    def metrics(self, stage_id: str, step: int, values: dict) -> None:
        pass


def main(args: argparse.Namespace) -> int:
    from .runner import create_experiment, run_experiment, write_tables

    exp_dir = Path(args.dir) if args.dir else default_dir(args.file)
    if args.action == "table":
        paths = write_tables(exp_dir)
        print(paths["md"].read_text(encoding="utf-8"))
        return 0
    if args.action == "run":
        state = create_experiment(args.file, exp_dir)
        print(f"experiment {state['name']}: {len(state['units'])} run(s) in {exp_dir}", file=sys.stderr, flush=True)
    cancel = threading.Event()
    previous = {s: signal.signal(s, lambda *_: cancel.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        state = run_experiment(exp_dir, cancel, lambda unit: _Progress(unit["name"]), args.parallel)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if state["status"] == "completed":
        print((exp_dir / "table.md").read_text(encoding="utf-8"))
        return 0
    if state["status"] == "cancelled":
        print(f"experiment stopped; continue with: experiment resume {args.file} --dir {exp_dir}", file=sys.stderr)
        return 130
    error = state.get("error") or {}
    print(f"error: {error.get('message')}\nhint: {error.get('hint')}", file=sys.stderr)
    return 1
