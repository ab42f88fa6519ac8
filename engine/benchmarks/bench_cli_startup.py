"""Start-up time of the CLI commands that need no torch (issue 11), against `python -c "import torch"` as the
baseline, each a fresh interpreter, median of --repeats runs (default 5), measured in this one process run.

    .venv/bin/python engine/benchmarks/bench_cli_startup.py [--repeats 5] [--json out.json]

Also times `serve` up to the `initialize` reply (torch loads after it, in a background thread) and up to the
`engine/devices` notification (torch loaded). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1]
REPO = ENGINE.parent
sys.path.insert(0, str(ENGINE))
from wsss_engine.rpc.framing import FrameReader, encode_frame  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ENGINE), "WSSS_ENGINE_PLUGINS": "", "OMP_NUM_THREADS": "1"}


def time_command(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], env=ENV, cwd=REPO, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return times


def time_serve(repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from spawn to the initialize reply, and to engine/devices."""
    to_reply, to_devices = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "wsss_engine", "serve"],
            env=ENV,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(encode_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}))
        proc.stdin.flush()
        reader = FrameReader(proc.stdout)
        while True:
            msg = reader.read()
            if msg is None:
                raise RuntimeError("the engine closed stdout")
            if msg.get("id") == 1:
                to_reply.append(time.perf_counter() - t)
            if msg.get("method") == "engine/devices":
                to_devices.append(time.perf_counter() - t)
                break
        proc.stdin.close()
        proc.wait(30)
    return to_reply, to_devices


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        selection = Path(tmp) / "sel.json"
        selection.write_text(json.dumps({"1": {"cat": "feline"}, "2": {"dog": "dog"}}))
        commands = {
            'baseline: python -c "import torch"': ["-c", "import torch"],
            "python -c pass": ["-c", "pass"],
            "--help": ["-m", "wsss_engine", "--help"],
            "--version": ["-m", "wsss_engine", "--version"],
            "protocol": ["-m", "wsss_engine", "protocol"],
            "pole-stats": ["-m", "wsss_engine", "pole-stats", str(selection)],
            "validate-config configs/voc-pole": [
                "-m",
                "wsss_engine",
                "validate-config",
                "configs/voc-pole.wsss-run.json",
            ],
        }
        results = {name: time_command(cmd, args.repeats) for name, cmd in commands.items()}
    results["serve: initialize reply"], results["serve: engine/devices (torch loaded)"] = time_serve(args.repeats)
    base = statistics.median(results['baseline: python -c "import torch"'])
    print(
        f"median of {args.repeats} fresh interpreters; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name, times in results.items():
        m = statistics.median(times)
        print(f"  {name:40s} {m * 1000:7.0f} ms   {m / base:5.2f}x the torch import")
    if args.json:
        Path(args.json).write_text(json.dumps({k: statistics.median(v) for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
