"""The engine daemon: one engine per user that outlives VS Code windows (docs/ARCHITECTURE.md, "Engine daemon").

It listens on a Unix domain socket in a private folder (daemon_paths: 0700, the socket 0600, and the peer's uid
checked where the OS tells it), speaks the same Content-Length JSON-RPC as `serve` to every client, runs their
runs in one FIFO queue (runs/active.py) and sends every run notification to every client. A client going away
cancels nothing. The daemon holds `daemon.lock` for its life, so a second daemon started on the same folder
finds the first and leaves; it exits after `idle_timeout` seconds with no client and no run (SIGTERM: it
cancels its runs, each saving a checkpoint, first). Starting it detached: rpc/daemon_client.ensure_daemon.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsss_engine.rpc.handlers import EngineMethods
from wsss_engine.rpc.server import Server

log = logging.getLogger("wsss_engine.daemon")

STATE_DIR_ENV = "WSSS_ENGINE_STATE_DIR"  # where the socket lives; tests and several installs set their own
IDLE_TIMEOUT_S = 600.0  # no client and no run for this long: the daemon exits
SEND_TIMEOUT_S = 10  # a client that stops reading for this long misses notifications instead of stalling runs


class DaemonError(Exception):
    """The daemon cannot be started or reached; `hint` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class DaemonPaths:
    folder: Path

    @property
    def socket(self) -> Path:
        return self.folder / "engine.sock"

    @property
    def lock(self) -> Path:  # held by the living daemon
        return self.folder / "daemon.lock"

    @property
    def start_lock(self) -> Path:  # held while a client starts one (two windows at once make one daemon)
        return self.folder / "start.lock"

    @property
    def pid_file(self) -> Path:
        return self.folder / "daemon.pid"

    @property
    def log(self) -> Path:
        return self.folder / "daemon.log"


def daemon_paths(folder: str | os.PathLike[str] | None = None) -> DaemonPaths:
    """$WSSS_ENGINE_STATE_DIR, else $XDG_RUNTIME_DIR/wsss-studio (per user, on a tmpfs), else ~/.cache/wsss-studio."""
    chosen = folder or os.environ.get(STATE_DIR_ENV)
    if not chosen:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        chosen = Path(runtime) / "wsss-studio" if runtime else Path.home() / ".cache" / "wsss-studio"
    return DaemonPaths(Path(chosen).expanduser().resolve())


def private_folder(paths: DaemonPaths) -> None:
    """Create the folder 0700 and refuse one that another user owns or others may enter."""
    try:
        paths.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = paths.folder.stat()
    except OSError as exc:
        raise DaemonError(
            f"cannot make the engine daemon folder {paths.folder}: {exc.strerror or exc}",
            f"set {STATE_DIR_ENV} to a folder you can write, or fix this one",
        ) from exc
    if st.st_uid != os.getuid():
        raise DaemonError(
            f"the engine daemon folder {paths.folder} belongs to another user (uid {st.st_uid})",
            f"remove it, or set {STATE_DIR_ENV} to a folder of your own",
        )
    if st.st_mode & 0o077:
        os.chmod(paths.folder, 0o700)  # ours: close it (an older or hand-made folder)


def peer_uid(conn: socket.socket) -> int | None:
    """The connecting process's uid (Linux SO_PEERCRED), None where the OS does not say."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return uid


class Daemon:
    def __init__(self, paths: DaemonPaths, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.paths, self.idle_timeout = paths, idle_timeout
        self.engine = EngineMethods(self.broadcast)
        self.clients: set[Server] = set()
        self.clients_lock = threading.Lock()
        self.last_activity = time.monotonic()
        self.stopping = threading.Event()

    def broadcast(self, method: str, params: dict[str, Any]) -> None:
        with self.clients_lock:
            clients = list(self.clients)
        for client in clients:
            client.notify(method, params)  # a gone client's OSError is logged by Server.send

    def serve(self) -> int:
        """Serve until idle or SIGTERM/SIGINT; 0, also when another daemon already serves this folder."""
        import fcntl  # POSIX only: imported where used, so the CLI still loads on Windows

        private_folder(self.paths)
        lock = open(self.paths.lock, "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            log.info("an engine daemon already serves %s (pid %s)", self.paths.socket, read_pid(self.paths))
            return 0
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.paths.socket.unlink(missing_ok=True)  # a crashed daemon's socket: we hold the lock, it is stale
            old_umask = os.umask(0o177)
            try:
                listener.bind(str(self.paths.socket))
            finally:
                os.umask(old_umask)
            self.paths.pid_file.write_text(str(os.getpid()))  # before listen(): whoever connects finds the pid
            listener.listen(16)
            listener.settimeout(0.5)
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self.stopping.set())
            log.info("engine daemon pid %d listening on %s", os.getpid(), self.paths.socket)
            while not self.stopping.is_set() and not self._idle_too_long():
                try:
                    conn, _ = listener.accept()
                except socket.timeout:
                    continue
                self._welcome(conn)
            log.info("engine daemon stopping (%s)", "signal" if self.stopping.is_set() else "idle")
        finally:
            listener.close()
            self.engine.stop_all_runs()  # each run saves a checkpoint; `--resume` continues it
            self.paths.socket.unlink(missing_ok=True)
            self.paths.pid_file.unlink(missing_ok=True)
            lock.close()
        return 0

    def _idle_too_long(self) -> bool:
        with self.clients_lock:
            busy = bool(self.clients)
        if busy or self.engine.has_active_runs():
            self.last_activity = time.monotonic()
            return False
        return time.monotonic() - self.last_activity > self.idle_timeout

    def _welcome(self, conn: socket.socket) -> None:
        uid = peer_uid(conn)
        if uid is not None and uid != os.getuid():
            log.warning("refused a connection from uid %d (the daemon serves uid %d only)", uid, os.getuid())
            conn.close()
            return
        conn.settimeout(None)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_S, 0))
        server = Server(conn.makefile("rb"), conn.makefile("wb"), engine=self.engine)
        with self.clients_lock:
            self.clients.add(server)
        threading.Thread(target=self._serve_client, args=(server, conn), name="daemon-client", daemon=True).start()

    def _serve_client(self, server: Server, conn: socket.socket) -> None:
        try:
            server.serve()
        finally:
            with self.clients_lock:
                self.clients.discard(server)
            self.last_activity = time.monotonic()
            try:
                conn.close()
            except OSError:
                pass


def read_pid(paths: DaemonPaths) -> int | None:
    try:
        return int(paths.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def run_daemon(folder: str | None = None, idle_timeout: float = IDLE_TIMEOUT_S) -> int:
    """`wsss-engine daemon run`: serve in the foreground (ensure_daemon starts this detached)."""
    return Daemon(daemon_paths(folder), idle_timeout).serve()
