"""Run metrics: one JSON line per call in <run>/metrics.jsonl, TensorBoard scalars under <run>/events/,
and a callback (RunEvents.metrics, a hook for hosts: the server sends no notification, since metrics.jsonl
is the one channel for metrics, tailed by the extension's report)."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable

from wsss_engine.errors import RunFolderError

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

    def __init__(self, run_path: Path, on_metrics: MetricsCallback | None = None,
                 tensorboard: bool = True) -> None:
        self.path = run_path / "metrics.jsonl"
        self.events_dir = run_path / "events"
        self.on_metrics = on_metrics
        self.tensorboard = tensorboard
        self._writer: Any = None
        self._lock = threading.Lock()

    def log(self, stage_id: str, step: int, values: dict[str, Any]) -> dict[str, Any]:
        clean = {name: as_number(name, v) for name, v in values.items()}
        line = {"time": round(time.time(), 3), "stage": stage_id, "step": int(step), **clean}
        with self._lock:
            try:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(line, allow_nan=False) + "\n")
            except OSError as exc:
                raise RunFolderError(f"cannot append to {self.path}: {exc.strerror or exc}",
                                     "free disk space or fix the run folder's permissions", self.path) from exc
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
