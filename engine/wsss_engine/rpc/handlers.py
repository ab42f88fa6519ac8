"""The engine's built-in request handlers (docs/ARCHITECTURE.md, "Extension <-> engine protocol").
torch and the pipeline are imported on first need, so the server answers ping/exit at once. `initialize`
answers without torch (the CPU only); a thread started after its reply loads torch and sends the full device
list in `engine/devices`; requests that need torch wait for that thread, so torch is imported once.
One EngineMethods serves one stdio connection, or every connection of the engine daemon (rpc/daemon.py): its
runs and their notifications (`notify_all`) are shared, `engine/devices` goes to the connection that asked."""

from __future__ import annotations

import logging
import platform
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from wsss_engine import __version__
from wsss_engine.device_list import cpu_device, installed_torch_version
from wsss_engine.rpc.protocol import PROTOCOL_VERSION

log = logging.getLogger("wsss_engine.rpc")

if TYPE_CHECKING:
    from wsss_engine.rpc.server import RequestHandler
    from wsss_engine.runs.active import ActiveRuns, Notify


class EngineMethods:
    def __init__(self, notify_all: "Notify") -> None:
        self.notify_all = notify_all  # run notifications go to every client
        self._runs: "ActiveRuns | None" = None
        self._devices: dict[str, Any] | None = None
        self._torch_loader: threading.Thread | None = None
        self._loader_lock = threading.Lock()

    @property
    def runs(self) -> "ActiveRuns":
        self.wait_for_torch()
        if self._runs is None:
            from wsss_engine.pipeline import execute_run, prepare_run
            from wsss_engine.runs.active import ActiveRuns

            self._runs = ActiveRuns(self.notify_all, prepare_run, execute_run)
        return self._runs

    def handlers(self) -> dict[str, "RequestHandler"]:
        return {
            "initialize": self.initialize,
            "ping": self.ping,
            "run/start": self.run_start,
            "run/cancel": self.run_cancel,
            "run/list": self.run_list,
            "config/validate": self.config_validate,
        }

    def initialize(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        return {
            "protocolVersion": PROTOCOL_VERSION,
            "engineVersion": __version__,
            "pythonVersion": platform.python_version(),
            "torchVersion": installed_torch_version(),
            "devices": [cpu_device()],
        }

    def after_initialize(self, notify: "Notify") -> None:
        """Called by a connection once its `initialize` reply is written: load torch in the background (once per
        process), then send that connection the full device list."""
        with self._loader_lock:
            if self._torch_loader is None:
                self._torch_loader = threading.Thread(target=self._load_torch, name="load-torch", daemon=True)
                self._torch_loader.start()

        def send_devices() -> None:
            self.wait_for_torch()
            if self._devices is not None:
                notify("engine/devices", self._devices)

        threading.Thread(target=send_devices, name="send-devices", daemon=True).start()

    def wait_for_torch(self) -> None:
        """Let the background import finish first (one thread imports torch; no concurrent partial imports)."""
        with self._loader_lock:
            loader = self._torch_loader
        if loader is not None:
            loader.join()

    def _load_torch(self) -> None:
        try:
            import torch

            from wsss_engine.device_list import describe_devices

            self._devices = {"torchVersion": torch.__version__, "devices": describe_devices()}
        except Exception as exc:  # a broken torch fails the requests that need it, with their own errors
            log.error("cannot load torch to list the devices: %s: %s", type(exc).__name__, exc)

    def ping(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        return {"time": time.time()}

    def run_start(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        entry = self.runs.start(params.get("configPath") or None, params["runDir"], bool(params.get("resume")))
        described = self.runs.describe(entry)
        return {key: described[key] for key in ("runId", "runDir", "name", "stages", "queuedBehind")}

    def run_cancel(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        return {"cancelled": self.runs.cancel(params["runId"])}

    def run_list(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        # No run started yet: answer without importing the pipeline (torch), e.g. when asked during shutdown.
        return {"runs": self._runs.list() if self._runs is not None else []}

    def config_validate(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        self.wait_for_torch()
        from wsss_engine.pipeline import config_file_problems

        problems = config_file_problems(params["configPath"])
        return {"valid": not problems, "errors": problems}

    def has_active_runs(self) -> bool:
        """A run is running or queued, or an experiment works (the daemon stays while one is)."""
        experiments = sys.modules.get("wsss_engine.rpc.experiments")
        if experiments is not None and experiments.any_active():
            return True
        return self._runs is not None and self._runs.has_active()

    def stop_all_runs(self) -> None:
        experiments = sys.modules.get("wsss_engine.rpc.experiments")  # loaded only once one was asked for
        if experiments is not None:
            experiments.stop_all()
        if self._runs is not None:
            self._runs.stop_all()
