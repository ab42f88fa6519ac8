"""Run metrics: one JSON line per call in <run>/metrics.jsonl, TensorBoard scalars under <run>/events/,
and a callback (RunEvents.metrics, a hook for hosts: the server sends no notification, since metrics.jsonl
is the one channel for metrics, tailed by the extension's report).

Resume never makes a curve double back (issue 12 item 8): a stage killed after its last checkpoint logged steps
that its resume logs again. So the first line a stage logs in this MetricsLog drops the file's earlier lines of
that stage at that step or later (and a half-written last line), rewriting metrics.jsonl atomically; readers
that see the file replaced (new inode, or shorter) read it again from the start. TensorBoard events are not
rewritten: TensorBoard shows the replayed steps of a resumed stage twice.
"""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable

from wsss_engine.errors import RunFolderError
from wsss_engine.runs.run_folder import atomic_write_bytes

MetricsCallback = Callable[[str, int, dict[str, float | None]], None]  # (stage_id, step, values)


def as_number(name: str, value: Any) -> float | None:
    """A plain float (tensors and numpy scalars included); NaN/inf become None since JSON cannot hold them."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"metric '{name}' must be a number, got {type(value).__name__}")
    value = float(value)
    return value if math.isfinite(value) else None


class MetricsLog:
    """Appends metrics of one run; TensorBoard writer created on first use (tags "<stage>/<name>")."""

    def __init__(self, run_path: Path, on_metrics: MetricsCallback | None = None, tensorboard: bool = True) -> None:
        self.path = run_path / "metrics.jsonl"
        self.events_dir = run_path / "events"
        self.on_metrics = on_metrics
        self.tensorboard = tensorboard
        self._writer: Any = None
        self._lock = threading.Lock()
        self._stages_logged: set[str] = set()

    def log(self, stage_id: str, step: int, values: dict[str, Any]) -> dict[str, Any]:
        clean = {name: as_number(name, v) for name, v in values.items()}
        line = {"time": round(time.time(), 3), "stage": stage_id, "step": int(step), **clean}
        with self._lock:
            if stage_id not in self._stages_logged:
                self._stages_logged.add(stage_id)
                drop_replayed_lines(self.path, stage_id, int(step))
            try:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(line, allow_nan=False) + "\n")
            except OSError as exc:
                raise RunFolderError(
                    f"cannot append to {self.path}: {exc.strerror or exc}",
                    "free disk space or fix the run folder's permissions",
                    self.path,
                ) from exc
            writer = self._summary_writer()
            if writer is not None:
                for name, v in clean.items():
                    if v is not None:
                        writer.add_scalar(f"{stage_id}/{name}", v, int(step))
        if self.on_metrics is not None:
            self.on_metrics(stage_id, int(step), clean)
        return line

    def _summary_writer(self) -> Any:
        if self._writer is None and self.tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # slow import: only when a run logs metrics

            self._writer = SummaryWriter(log_dir=str(self.events_dir), flush_secs=10)
        return self._writer

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None


def drop_replayed_lines(path: Path, stage_id: str, from_step: int) -> int:
    """Remove `stage_id`'s lines with step >= from_step (and a half-written last line) from a metrics.jsonl;
    returns how many lines went. The file is only rewritten when something goes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise RunFolderError(
            f"cannot read {path}: {exc.strerror or exc}", "fix the run folder's permissions", path
        ) from exc
    lines = data.split(b"\n")
    partial = lines.pop()  # b"" when the file ends with a newline
    kept = [line for line in lines if not _replayed(line, stage_id, from_step)]
    dropped = len(lines) - len(kept) + (1 if partial else 0)
    if dropped:
        atomic_write_bytes(path, b"".join(line + b"\n" for line in kept))
    return dropped


def _replayed(line: bytes, stage_id: str, from_step: int) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False  # a damaged line stays: readers skip it and count it
    return (
        isinstance(record, dict)
        and record.get("stage") == stage_id
        and isinstance(record.get("step"), int)
        and record["step"] >= from_step
    )


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Every complete line of a metrics.jsonl (a half-written last line is skipped)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out
