"""Writing result files on a background thread so the device is not idle on disk I/O (issue 11).

    with AsyncWriter(max_pending=16) as writer:
        for ...:
            writer.submit(save_cam, path, keys, cam, high_res)   # blocks only when 16 writes are queued

One writer thread, a bounded queue (memory stays bounded when the disk is slower than the device), writes in
submission order. A failed write is raised in the caller's thread at the next submit() or at close(), and
the queued writes after it are dropped; close() (the `with` exit) waits for every queued write, so a stage
that returns has all its files on disk. The write functions themselves stay atomic (temp file + rename), so a
cancel or crash leaves complete files only, and a resumed stage skips exactly those.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Optional

_STOP = object()


class AsyncWriter:
    def __init__(self, max_pending: int = 16, enabled: bool = True):
        self.enabled = enabled
        self.error: Optional[BaseException] = None
        self.written = 0
        if enabled:
            self._queue: queue.Queue = queue.Queue(maxsize=max(1, max_pending))
            self._thread = threading.Thread(target=self._work, name="wsss-async-writer", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is _STOP:
                    return
                if self.error is None:  # after a failure, drain without writing
                    fn, args, kwargs = job
                    fn(*args, **kwargs)
                    self.written += 1
            except BaseException as exc:  # handed to the caller's thread
                self.error = exc
            finally:
                self._queue.task_done()

    def _raise_pending(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, fn: Callable, *args, **kwargs) -> None:
        """Queue fn(*args, **kwargs); synchronous when the writer is disabled."""
        if not self.enabled:
            fn(*args, **kwargs)
            self.written += 1
            return
        self._raise_pending()
        self._queue.put((fn, args, kwargs))

    def close(self) -> None:
        """Wait for every queued write and stop the thread; raises the first failed write's error."""
        if self.enabled and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._raise_pending()

    def __enter__(self) -> "AsyncWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # the stage is failing or cancelled: finish what was queued (complete files), keep its error
            self.close()
        except BaseException:
            pass
