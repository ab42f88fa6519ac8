"""Reaching the engine daemon (rpc/daemon.py): start it detached when none answers, and a small blocking
JSON-RPC client over its socket for the CLI (`wsss-engine runs ...`) and the tests.

ensure_daemon holds `start.lock` while it looks and starts, so two windows (or a window and the CLI) asking at
once get one daemon: the second waits, then finds the first one's socket answering."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from wsss_engine.rpc.daemon import IDLE_TIMEOUT_S, DaemonError, DaemonPaths, private_folder, read_pid
from wsss_engine.rpc.framing import FrameReader, FrameWriter

START_TIMEOUT_S = 60.0


def answers(paths: DaemonPaths) -> bool:
    """True when a daemon accepts connections on the socket (a crashed one's leftover socket refuses)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(paths.socket))
        return True
    except OSError:
        return False


def ensure_daemon(
    paths: DaemonPaths, idle_timeout: float = IDLE_TIMEOUT_S, timeout: float = START_TIMEOUT_S
) -> dict[str, Any]:
    """{socket, pid, log, started}: the daemon serving `paths`, started detached (own session, stdio to the
    log file, cwd the state folder) when none answers."""
    if not hasattr(socket, "AF_UNIX"):
        raise DaemonError(
            "this platform has no Unix domain sockets for the engine daemon", 'set "wsss.engine.mode": "window"'
        )
    import fcntl  # POSIX only

    private_folder(paths)
    with open(paths.start_lock, "a+") as start_lock:
        fcntl.flock(start_lock, fcntl.LOCK_EX)  # released when the file closes
        started = False
        if not answers(paths):
            started = True
            with open(paths.log, "ab") as log_file:
                os.chmod(paths.log, 0o600)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "wsss_engine", "daemon", "run", "--idle-timeout", str(idle_timeout)],
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=log_file,
                    cwd=paths.folder,
                    env={**os.environ, "WSSS_ENGINE_STATE_DIR": str(paths.folder)},
                    start_new_session=True,  # no terminal or window signal reaches it
                )
            deadline = time.monotonic() + timeout
            while not answers(paths):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise DaemonError(
                        f"the engine daemon did not start (exit code {proc.poll()}); its log: {paths.log}",
                        "read the log's last lines; `wsss-engine daemon run` shows the same in a terminal",
                    )
                time.sleep(0.05)
    return {"socket": str(paths.socket), "pid": read_pid(paths), "log": str(paths.log), "started": started}


def notification_params(messages: list[dict], method: str, run_id: str | None = None) -> list[dict]:
    """The params of the `method` notifications among `messages` (of one run when `run_id` is given)."""
    return [
        n["params"]
        for n in messages
        if n["method"] == method and (run_id is None or n["params"].get("runId") == run_id)
    ]


class DaemonClient:
    """A blocking client: requests wait for their response; notifications collect in `notifications`."""

    def __init__(self, paths: DaemonPaths, client_name: str = "wsss-engine-cli") -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(str(paths.socket))
        except OSError as exc:
            self.sock.close()
            raise DaemonError(
                f"no engine daemon answers on {paths.socket} ({exc.strerror or exc})",
                "start one with `wsss-engine daemon start` (a VS Code window starts it when it needs the engine)",
            ) from exc
        self.writer = FrameWriter(self.sock.makefile("wb"))
        self.ids = itertools.count(1)
        self.responses: dict[Any, dict] = {}
        self.notifications: list[dict] = []
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, args=(self.sock.makefile("rb"),), daemon=True).start()
        self.info = self.result("initialize", {"clientName": client_name, "clientVersion": "cli"})

    def _read(self, stream: Any) -> None:
        reader = FrameReader(stream)
        while (msg := reader.read()) is not None:
            with self.cond:
                if isinstance(msg, dict) and "method" in msg:
                    self.notifications.append(msg)
                elif isinstance(msg, dict):
                    self.responses[msg.get("id")] = msg
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def request(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        """The whole response (with "result" or "error")."""
        msg_id = next(self.ids)
        self.writer.write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params or {}})
        return self.wait_for(lambda: self.responses.pop(msg_id, None), timeout, f"the answer to {method}")

    def result(self, method: str, params: dict | None = None, timeout: float = 60) -> Any:
        response = self.request(method, params, timeout)
        if "error" in response:
            error = response["error"]
            raise DaemonError(error.get("message", "error"), (error.get("data") or {}).get("hint", ""))
        return response["result"]

    def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (value := predicate()):
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise DaemonError(
                        f"{'the daemon closed the connection' if self.closed else 'timed out'} waiting for {what}",
                        "see the daemon log",
                    )
                self.cond.wait(min(left, 0.5))
            return value

    def notes(self, method: str, run_id: str | None = None) -> list[dict]:
        with self.cond:
            return notification_params(self.notifications, method, run_id)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
