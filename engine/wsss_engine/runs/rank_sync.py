"""Rank coordination for a run under torchrun (docs/ARCHITECTURE.md, "Multi-GPU runs"): barriers, small JSON
exchanges, and the run-wide cancel / failure flags, all through the process group's key-value store.

The store (not the collectives) carries them because a rank that failed or was cancelled mid-stage never
reaches the collective its peers wait in: store waits have deadlines and see the flags, a collective would hang.
A watchdog thread per rank turns the flags into the local cancel event (so every rank stops at its next
check) and, when a rank stays inside a stage `grace_s` after a failure was flagged (stuck in a collective
whose peer left), calls `on_stuck` and ends the process with exit code 1.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any, Callable

from wsss_engine.errors import Cancelled, EngineError

log = logging.getLogger("wsss_engine.ranks")

TIMEOUT_ENV = "WSSS_DIST_TIMEOUT_S"  # longest wait for a peer in a barrier (rank-0-only stages included)
GRACE_ENV = "WSSS_DIST_GRACE_S"  # how long peers may take to stop after a failure or cancellation
DEFAULT_TIMEOUT_S = 6 * 3600.0
DEFAULT_GRACE_S = 20.0
POLL_S = 0.1


class PeerTimeout(EngineError):
    """A rank did not reach a barrier in time (it exited, hangs, or another rank failed)."""

    code = -32007
    kind = "StageFailed"


def default_store() -> Any:
    """The store torchrun's process group was set up with (c10d keeps it; no public accessor)."""
    from torch.distributed import distributed_c10d

    return distributed_c10d._get_default_store()


class RankSync:
    """Store-based coordination of `world` ranks; every rank calls the same barriers with the same tags."""

    def __init__(
        self,
        store: Any,
        rank: int,
        world: int,
        cancel_event: threading.Event,
        *,
        timeout_s: float | None = None,
        grace_s: float | None = None,
    ) -> None:
        self.store, self.rank, self.world, self.cancel = store, rank, world, cancel_event
        self.timeout_s = float(timeout_s if timeout_s is not None else os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))
        self.grace_s = float(grace_s if grace_s is not None else os.environ.get(GRACE_ENV, DEFAULT_GRACE_S))
        self.prefix = f"wsss/{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}/"
        self.in_stage = False
        self.on_stuck: Callable[[dict | None], None] | None = None
        self._flag_seen: float | None = None
        self._published_cancel = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- keys ----------------------------------------------------------------------------------------------
    def _set(self, key: str, value: Any) -> None:
        self.store.set(self.prefix + key, json.dumps(value))

    def _has(self, key: str) -> bool:
        return bool(self.store.check([self.prefix + key]))

    def _get(self, key: str) -> Any:
        return json.loads(self.store.get(self.prefix + key).decode())

    # -- run-wide flags ------------------------------------------------------------------------------------
    def publish_failure(self, record: dict) -> None:
        """The first failing rank's error record becomes the run's error (compare-and-set: first one wins)."""
        self.store.compare_set(self.prefix + "failed", "", json.dumps({"rank": self.rank, "error": record}))
        self.cancel.set()

    def failure(self) -> dict | None:
        return self._get("failed") if self._has("failed") else None

    def publish_cancel(self) -> None:
        if not self._published_cancel:
            self._published_cancel = True
            self._set("cancel", self.rank)

    def flagged(self) -> bool:
        return self._has("cancel") or self._has("failed")

    # -- barriers ------------------------------------------------------------------------------------------
    def wait_for(
        self, keys: list[str], *, abort_on_failure: bool = False, what: str = "", grace_s: float | None = None
    ) -> bool:
        """Wait until every key exists. Returns False when peers stopped answering: `grace_s` after a flag
        (cancel or failure) was seen, or `timeout_s` in all. abort_on_failure: raise Cancelled on a failure flag."""
        full = [self.prefix + k for k in keys]
        start, flagged_at = time.monotonic(), None
        while not self.store.check(full):
            now = time.monotonic()
            if flagged_at is None and (self.cancel.is_set() or self.flagged()):
                flagged_at = now
            if abort_on_failure and self._has("failed"):
                raise Cancelled(f"stopped {what}: another rank failed")
            grace = self.grace_s if grace_s is None else grace_s
            if now - start > self.timeout_s or (flagged_at is not None and now - flagged_at > grace):
                return False
            time.sleep(POLL_S)
        return True

    def all_gather(self, tag: str, value: Any, *, abort_on_failure: bool = True) -> list[Any]:
        """Every rank's `value` (JSON), in rank order; PeerTimeout when a rank does not post in time."""
        self._set(f"{tag}/r{self.rank}", value)
        keys = [f"{tag}/r{r}" for r in range(self.world)]
        if not self.wait_for(keys, abort_on_failure=abort_on_failure, what=tag):
            missing = [r for r in range(self.world) if not self._has(f"{tag}/r{r}")]
            raise PeerTimeout(
                f"rank(s) {missing} did not reach '{tag}' (exited, hung, or stopped after a failure)",
                "see each rank's stderr; fix the cause, then resume the run",
            )
        return [self._get(k) for k in keys]

    def gather_to_main(self, tag: str, value: Any) -> list[Any] | None:
        """Rank 0: every posted value in rank order (None for ranks that did not post in time); others: None."""
        self._set(f"{tag}/r{self.rank}", value)
        if self.rank != 0:
            return None
        keys = [f"{tag}/r{r}" for r in range(self.world)]
        self.wait_for(keys)
        return [self._get(k) if self._has(k) else None for k in keys]

    def announce(self, tag: str, value: Any) -> None:
        """Rank 0 posts a decision every rank reads with `receive`."""
        self._set(f"{tag}/main", value)

    def receive(self, tag: str) -> Any:
        """Rank 0's decision for `tag`; PeerTimeout when it does not come in time."""
        if not self.wait_for([f"{tag}/main"], what=tag, grace_s=2 * self.grace_s):  # rank 0 records first
            raise PeerTimeout(
                f"rank 0 did not decide '{tag}' in time (it exited or hangs)",
                "see rank 0's output and the run's engine.log; then resume the run",
            )
        return self._get(f"{tag}/main")

    # -- watchdog ------------------------------------------------------------------------------------------
    def start_watchdog(self) -> None:
        self._thread = threading.Thread(target=self._watch, name=f"wsss-rank{self.rank}-watchdog", daemon=True)
        self._thread.start()

    def stop_watchdog(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            try:
                if self.cancel.is_set():
                    self.publish_cancel()
                if self.flagged():
                    self.cancel.set()
                failure = self.failure()
            except Exception as exc:  # the store went away: torchrun is shutting the job down
                log.debug("rank %d watchdog: store unavailable (%s)", self.rank, exc)
                return
            if failure is None or not self.in_stage:
                self._flag_seen = None
                continue
            self._flag_seen = self._flag_seen or time.monotonic()
            if time.monotonic() - self._flag_seen > self.grace_s:
                log.error(
                    "rank %d: still inside a stage %.0f s after rank %d failed (stuck in a collective); exiting",
                    self.rank,
                    self.grace_s,
                    failure["rank"],
                )
                try:
                    if self.on_stuck is not None:
                        self.on_stuck(failure)
                finally:
                    os._exit(1)
