"""A real engine subprocess (`python -m wsss_engine serve`) spoken to with Content-Length frames."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from wsss_engine.rpc.daemon_client import notification_params
from wsss_engine.rpc.framing import FrameReader, encode_frame

TESTS_DIR = Path(__file__).resolve().parent
PLUGIN_DIR = TESTS_DIR / "plugins"


def engine_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an engine subprocess with the counting-stage test plugin and one CPU thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGIN_DIR), env.get("PYTHONPATH", "")]))
    env["WSSS_ENGINE_PLUGINS"] = "counting_stage"
    env["OMP_NUM_THREADS"] = "1"
    env["MKL_NUM_THREADS"] = "1"
    env.update(extra or {})
    return env


class EngineClient:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wsss_engine", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=engine_env(extra_env),
        )
        self.ids = itertools.count(1)
        self.responses: dict[Any, dict] = {}
        self.notifications: list[dict] = []
        self.unmatched: list[dict] = []  # responses with id null (parse errors, invalid requests)
        self.cond = threading.Condition()
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        reader = FrameReader(self.proc.stdout)
        while True:
            msg = reader.read()
            if msg is None:
                break
            assert isinstance(msg, dict), f"engine wrote a non-JSON frame: {msg!r}"
            with self.cond:
                if "method" in msg:
                    self.notifications.append(msg)
                elif msg.get("id") is None:
                    self.unmatched.append(msg)
                else:
                    self.responses[msg["id"]] = msg
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace"))

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_raw(encode_frame(message))

    def notify(self, method: str, params: dict | None = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def request_async(self, method: str, params: Any = None) -> int:
        msg_id = next(self.ids)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def response(self, msg_id: Any, timeout: float = 30) -> dict:
        return self.wait_for(lambda: self.responses.get(msg_id), timeout, f"response to request {msg_id}")

    def request(self, method: str, params: Any = None, timeout: float = 30) -> dict:
        """The whole response message (with "result" or "error")."""
        return self.response(self.request_async(method, params), timeout)

    def result(self, method: str, params: Any = None, timeout: float = 30) -> Any:
        response = self.request(method, params, timeout)
        assert "result" in response, f"{method} failed: {response.get('error')}"
        return response["result"]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; engine stderr:\n{self.stderr_text()[-3000:]}")
                self.cond.wait(min(left, 0.5))

    def notes(self, method: str, run_id: str | None = None) -> list[dict]:
        with self.cond:
            return notification_params(self.notifications, method, run_id)

    def finished(self, run_id: str, timeout: float = 30) -> dict:
        return self.wait_for(
            lambda: next(iter(self.notes("run/finished", run_id)), None), timeout, f"run/finished of {run_id}"
        )

    def stderr_text(self) -> str:
        return "".join(self.stderr_lines)

    def close(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def write_config(folder: Path, stages: list[dict], name: str = "test-run", **top: Any) -> Path:
    path = folder / "config.json"
    path.write_text(json.dumps({"name": name, "seed": 3, "device": "cpu", "synthetic": True, "stages": stages, **top}))
    return path
