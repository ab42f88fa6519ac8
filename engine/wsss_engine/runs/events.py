"""What a run reports to its host while it runs (server notifications or CLI stderr), and the throttle that
keeps progress updates to a few per second (docs/ARCHITECTURE.md, "StageContext")."""

from __future__ import annotations

import time
from typing import Callable

PROGRESS_INTERVAL_S = 0.25  # ~4 Hz


class RunEvents:
    """What a run reports to its host. Override what you need."""

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None: ...
    def metrics(self, stage_id: str, step: int, values: dict[str, float | None]) -> None: ...


class ProgressThrottle:
    """Passes at most one progress update per interval; `flush` sends the last held-back one."""

    def __init__(self, emit: Callable[[int, int, str], None], interval: float = PROGRESS_INTERVAL_S) -> None:
        self.emit, self.interval = emit, interval
        self.last_sent = 0.0
        self.pending: tuple[int, int, str] | None = None

    def update(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self.last_sent >= self.interval or done >= total:
            self.pending = None
            self.last_sent = now
            self.emit(done, total, message)
        else:
            self.pending = (done, total, message)

    def flush(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.emit(*pending)
