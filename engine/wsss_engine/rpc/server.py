"""The JSON-RPC 2.0 server of one connection: reads frames on its thread, runs each request on its own thread (so
`$/cancelRequest` and `exit` are read while work goes on), writes responses and notifications.
`serve_stdio`: the engine's stdio is the one connection, whose end stops the runs; stdout carries only protocol
frames (everything else printed to fd 1 goes to stderr). The engine daemon (rpc/daemon.py) makes one Server per
socket client around one shared EngineMethods: a client's end (or its `shutdown`) leaves the runs going."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from wsss_engine.errors import Cancelled, EngineError
from wsss_engine.rpc.framing import FrameError, FrameReader, FrameWriter
from wsss_engine.rpc.protocol import METHODS, NOTIFICATIONS, Method, params_problem

if TYPE_CHECKING:
    from wsss_engine.rpc.handlers import EngineMethods

log = logging.getLogger("wsss_engine.rpc")

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
RequestHandler = Callable[[dict, threading.Event], dict]  # (params, cancelled) -> result

_EXTRA_REQUESTS: dict[str, tuple[Method, RequestHandler]] = {}

# Modules that call register_request() on import, for protocol methods not built in (e.g. synonyms/score).
# Imported on the first request for such a method; one line per module.
REQUEST_MODULES: list[str] = [
    "wsss_engine.rpc.synonym_scoring",
    "wsss_engine.rpc.synonym_suggest",
    "wsss_engine.rpc.cluster_requests",
    "wsss_engine.rpc.experiments",
]
_request_modules_lock = threading.Lock()
_request_modules_done = False


def _import_request_modules() -> None:
    global _request_modules_done
    with _request_modules_lock:
        if _request_modules_done:
            return
        _request_modules_done = True
        for name in REQUEST_MODULES:
            try:
                importlib.import_module(name)
            except Exception as exc:  # its methods stay unavailable (-32601); the rest of the engine works
                log.error("request module %s cannot be imported: %s", name, exc)


def register_request(name: str, handler: RequestHandler, spec: Method | None = None) -> None:
    """Add a request handler: for a protocol method without a built-in one (e.g. synonyms/score, whose spec is
    in protocol.METHODS) or, with its own spec, a plugin's method. `cancelled` is set by $/cancelRequest."""
    spec = spec or METHODS.get(name)
    if spec is None:
        raise ValueError(f"request {name!r} is not in the protocol; pass its Method spec")
    _EXTRA_REQUESTS[name] = (spec, handler)


_CURRENT_NOTIFY: Callable[[str, dict[str, Any]], None] | None = None  # the engine's notify-all (set by Server)


def current_notify() -> Callable[[str, dict[str, Any]], None] | None:
    """The engine's notify (every client, on the daemon), for request modules whose work outlives the request
    (rpc/experiments.py); None outside `serve`."""
    return _CURRENT_NOTIFY


class Server:
    """One connection. `serve()` returns the process exit code. Without `engine` the connection owns its own
    engine (stdio): `shutdown` and the connection's end stop its runs. With a shared one (the daemon) they don't."""

    def __init__(self, stdin: BinaryIO, stdout: BinaryIO, engine: "EngineMethods | None" = None) -> None:
        from wsss_engine.rpc.handlers import EngineMethods  # handlers import the pipeline (torch): keep it here

        self.reader = FrameReader(stdin)
        self.writer = FrameWriter(stdout)
        self.pending: dict[Any, threading.Event] = {}
        self.pending_lock = threading.Lock()
        self.shutdown_requested = False
        self.owns_engine = engine is None
        self.engine = engine if engine is not None else EngineMethods(self.notify)
        global _CURRENT_NOTIFY
        _CURRENT_NOTIFY = self.engine.notify_all  # on the daemon: every client
        self.builtin: dict[str, tuple[Method, RequestHandler]] = {
            name: (METHODS[name], fn) for name, fn in self.engine.handlers().items()
        }
        self.builtin["shutdown"] = (METHODS["shutdown"], self.shutdown)

    def handler_for(self, method: str) -> tuple[Method, RequestHandler] | None:
        """Built-in, else registered (plugins, REQUEST_MODULES imported on first need for protocol methods)."""
        found = self.builtin.get(method) or _EXTRA_REQUESTS.get(method)
        if found is None and method in METHODS:
            self.engine.wait_for_torch()  # request modules import torch
            _import_request_modules()
            found = _EXTRA_REQUESTS.get(method)
        return found

    # -- main loop ---------------------------------------------------------------------------------------
    def serve(self) -> int:
        exit_code = 0
        try:
            while True:
                try:
                    message = self.reader.read()
                except Exception as exc:  # the stream itself failed (FrameReader raises on no bytes)
                    log.error("closing the connection: cannot read from stdin: %s: %s", type(exc).__name__, exc)
                    exit_code = 1
                    break
                if message is None:
                    log.info("the client closed the connection")
                    break
                if isinstance(message, dict) and message.get("method") == "exit" and "id" not in message:
                    exit_code = 0 if self.shutdown_requested else 1
                    break
                self.dispatch(message)
        finally:
            if self.owns_engine:
                self.engine.stop_all_runs()
        return exit_code

    def shutdown(self, params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
        """Polite stop: an own engine cancels its runs (each saves a checkpoint) before answering; a daemon
        connection only says goodbye (its runs go on for the other clients and the next window)."""
        self.shutdown_requested = True
        if self.owns_engine:
            self.engine.stop_all_runs()
        return {}

    def dispatch(self, message: Any) -> None:
        """Answer one incoming message; never raises (a bad request gets an error response)."""
        try:
            self._dispatch(message)
        except Exception as exc:  # a bug here must not kill the server
            log.exception("internal error while dispatching a message")
            msg_id = message.get("id") if isinstance(message, dict) and _valid_id(message.get("id")) else None
            self.send_error(msg_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")

    def _dispatch(self, message: Any) -> None:
        if isinstance(message, FrameError):
            self.send_error(None, PARSE_ERROR, f"parse error: {message.message}")
            return
        if isinstance(message, list):
            self.send_error(None, INVALID_REQUEST, "invalid request: batch requests are not supported")
            return
        if not isinstance(message, dict):
            self.send_error(None, INVALID_REQUEST, "invalid request: a message must be a JSON object")
            return
        has_id = "id" in message
        msg_id = message.get("id")
        if has_id and not _valid_id(msg_id):
            self.send_error(None, INVALID_REQUEST, "invalid request: id must be a string, a number or null")
            return
        method = message.get("method")
        if message.get("jsonrpc") != "2.0":
            self.send_error(msg_id, INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
            return
        if method is None and has_id and ("result" in message or "error" in message):
            return  # a response: the engine sends no requests, so there is nothing to match
        if not isinstance(method, str):
            self.send_error(msg_id, INVALID_REQUEST, 'invalid request: "method" must be a string')
            return
        params = message.get("params")
        if not has_id:
            self.on_notification(method, params)
            return
        found = self.handler_for(method)
        if found is None:
            why = (
                f"{method} is part of the protocol but no module of this engine implements it yet"
                if method in METHODS
                else f"unknown method: {method}"
            )
            self.send_error(msg_id, METHOD_NOT_FOUND, why)
            return
        spec, handler = found
        problem = params_problem(method, spec, params)
        if problem:
            self.send_error(msg_id, INVALID_PARAMS, f"invalid params: {problem}")
            return
        cancelled = threading.Event()
        key = _id_key(msg_id)
        with self.pending_lock:
            self.pending[key] = cancelled
        threading.Thread(
            target=self._run_request,
            args=(msg_id, method, spec, handler, params or {}, cancelled),
            name=f"rpc-{method}",
            daemon=True,
        ).start()

    def _run_request(
        self, msg_id: Any, method: str, spec: Method, handler: RequestHandler, params: dict, cancelled: threading.Event
    ) -> None:
        try:
            if cancelled.is_set():
                raise Cancelled(f"request {method} was cancelled before it started", "")
            result = handler(params, cancelled)
            if cancelled.is_set() and spec.long:
                raise Cancelled(f"request {method} was cancelled", "")
            self.send({"jsonrpc": "2.0", "id": msg_id, "result": result})
            if method == "initialize":
                self.engine.after_initialize(self.notify)
        except EngineError as exc:
            self.send_error(msg_id, exc.code, exc.message, exc.to_data())
        except Exception as exc:
            log.exception("request %s failed", method)
            self.send_error(
                msg_id,
                INTERNAL_ERROR,
                f"internal error in {method}: {type(exc).__name__}: {exc}",
                {"kind": "InternalError", "hint": "see the engine log (stderr) for the traceback"},
            )
        finally:
            with self.pending_lock:
                self.pending.pop(_id_key(msg_id), None)

    def on_notification(self, method: str, params: Any) -> None:
        if method == "$/cancelRequest":
            target = params.get("id") if isinstance(params, dict) else None
            with self.pending_lock:
                event = self.pending.get(_id_key(target))
            if event is not None:
                event.set()
        elif not method.startswith("$/"):
            log.debug("ignored notification %s", method)

    # -- output ------------------------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        try:
            self.writer.write(message)
        except (TypeError, ValueError) as exc:  # a result that is not JSON: answer with an error instead
            log.error("cannot encode a message: %s", exc)
            if "id" in message:
                self.send_error(message["id"], INTERNAL_ERROR, f"internal error: result is not JSON: {exc}")
        except OSError as exc:
            print(f"wsss_engine: cannot write to the client: {exc}", file=sys.stderr)

    def send_error(self, msg_id: Any, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.send({"jsonrpc": "2.0", "id": msg_id, "error": error})

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send an engine -> extension notification; its keys must be those of protocol.NOTIFICATIONS."""
        expected = set(NOTIFICATIONS[method].keys)
        if set(params) != expected:
            raise ValueError(f"notification {method} has keys {sorted(params)}, the protocol says {sorted(expected)}")
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


def _valid_id(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _id_key(value: Any) -> Any:
    return (type(value).__name__ == "str", value)


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM (the extension's second step after a failed polite shutdown): leave the read loop, whose
    `finally` cancels the runs so that they save checkpoints, then exit."""
    raise SystemExit(128 + signum)


def serve_stdio() -> int:
    """Serve on this process's stdin/stdout. fd 1 is moved onto stderr first, so a stray print (Python or C)
    cannot corrupt the protocol stream."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server = Server(sys.stdin.buffer, protocol_out)
    code = server.serve()
    try:
        protocol_out.flush()
    except OSError:
        pass
    return code
