"""The extension <-> engine protocol as data: the Python mirror of protocol/engine.ts (ENGINE_PROTOCOL).

`python -m wsss_engine protocol` prints `descriptor()`; the extension's unit test fails when the two differ.
Param specs also drive the server's -32602 (invalid params) checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wsss_engine.errors import ERROR_CODES

# 2: run/start answers name + stages; run/metrics and engine/log removed.
# 3: initialize answers before torch is loaded (the CPU only); engine/devices follows with every device.
# 4: clipCams/word (training-free CLIP CAM of one word, issue 15).
PROTOCOL_VERSION = 4

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class Param:
    """One named request parameter: its JSON type and whether the caller must send it."""

    name: str
    type: str
    required: bool = True
    nullable: bool = False


@dataclass(frozen=True)
class Method:
    """A request: its parameters and the keys of its result object."""

    params: tuple[Param, ...] = ()
    result: tuple[str, ...] = ()
    long: bool = False  # long requests honour $/cancelRequest while they run


@dataclass(frozen=True)
class Notification:
    """A notification and its keys (engine -> extension, except `exit`)."""

    keys: tuple[str, ...] = field(default_factory=tuple)


METHODS: dict[str, Method] = {
    # Handshake, answered before torch is imported: torchVersion from the installed package's metadata, devices
    # the CPU only. The full list (GPUs, MPS) follows in the engine/devices notification once torch is loaded.
    "initialize": Method(
        params=(Param("clientName", "string", False), Param("clientVersion", "string", False)),
        result=("protocolVersion", "engineVersion", "pythonVersion", "torchVersion", "devices"),
    ),
    # Polite stop: cancels running runs (they save checkpoints); the `exit` notification then ends the process.
    "shutdown": Method(),
    # Liveness check.
    "ping": Method(result=("time",)),
    # Start or resume a run in a run folder; answers at once, the run goes on in a worker thread. The config is
    # validated here (ConfigInvalid lists every problem), so a client need not call config/validate first; the
    # answer carries the run's name and stages ([{id, type}]) so the client need not read run.json back.
    "run/start": Method(
        params=(
            Param("configPath", "string", False, nullable=True),
            Param("runDir", "string"),
            Param("resume", "boolean", False),
        ),
        result=("runId", "runDir", "name", "stages"),
    ),
    # Ask a running run to stop at its next cancellation point (it saves a checkpoint).
    "run/cancel": Method(params=(Param("runId", "string"),), result=("cancelled",)),
    # Runs this engine process has started, with their current status.
    "run/list": Method(result=("runs",)),
    # Validate a run config file against schemas/run-config.schema.json and the stages this engine has.
    "config/validate": Method(params=(Param("configPath", "string"),), result=("valid", "errors"), long=True),
    # CLIP scores of synonym-bank words for images of a run (the synonym panel; rpc/synonym_scoring.py);
    # `words` {class: [words]} scores unsaved bank edits instead of the run's bank for those classes.
    "synonyms/score": Method(
        params=(
            Param("runDir", "string"),
            Param("imageIds", "array"),
            Param("classes", "array", False),
            Param("words", "object", False),
        ),
        result=("scores",),
        long=True,
    ),
    # Candidate words per class from WordNet or a word-vector file (rpc/synonym_suggest.py, METHOD §2.1):
    # {class: [prompt word, ranked candidates...]}, `size` words at most, for the synonym-bank editor.
    "synonyms/suggest": Method(
        params=(
            Param("classes", "array"),
            Param("source", "string"),
            Param("size", "number"),
            Param("vectors", "string", False, nullable=True),
        ),
        result=("suggestions",),
        long=True,
    ),
    # Training-free CAM of one word on a few images of its class (rpc/clip_cam_word.py, METHOD §10), for the
    # synonym-bank editor and the CAM panel; a newer request from the same panel cancels the older one.
    "clipCams/word": Method(
        params=(
            Param("runDir", "string"),
            Param("class", "string"),
            Param("word", "string"),
            Param("imageIds", "array", False),
            Param("count", "number", False),
        ),
        result=("class", "word", "clip", "images"),
        long=True,
    ),
}

NOTIFICATIONS: dict[str, Notification] = {
    # Once, after the initialize reply, when torch has loaded: every device (the CPU first) and torch's version.
    "engine/devices": Notification(("torchVersion", "devices")),
    "run/progress": Notification(("runId", "stageId", "done", "total", "message")),
    "run/finished": Notification(("runId", "status", "error")),
    # The one extension -> engine notification: exit now (code 0 after `shutdown`, else 1). `$/cancelRequest`
    # (base protocol) is handled too but is not part of this descriptor.
    "exit": Notification(()),
}


def descriptor() -> dict[str, Any]:
    """{methods: {name: {params, result}}, notifications: {name: keys}, errors: {kind: code}}."""
    return {
        "methods": {
            name: {"params": [p.name for p in m.params], "result": list(m.result)} for name, m in METHODS.items()
        },
        "notifications": {name: list(n.keys) for name, n in NOTIFICATIONS.items()},
        "errors": dict(ERROR_CODES),
    }


def params_problem(method: str, spec: Method, params: Any) -> str | None:
    """Why `params` do not fit `spec` (a message for error -32602), or None when they fit."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return f"{method}: params must be an object with named keys, got {type(params).__name__}"
    known = {p.name: p for p in spec.params}
    unknown = sorted(set(params) - set(known))
    if unknown:
        return f"{method}: unknown param(s) {', '.join(unknown)}; expected {sorted(known) or 'none'}"
    for p in spec.params:
        if p.name not in params:
            if p.required:
                return f"{method}: missing required param '{p.name}' ({p.type})"
            continue
        value = params[p.name]
        if value is None and p.nullable:
            continue
        ok = isinstance(value, JSON_TYPES[p.type]) and not (p.type == "number" and isinstance(value, bool))
        if not ok:
            return f"{method}: param '{p.name}' must be a {p.type}, got {type(value).__name__}"
        if _has_nul(value):  # no path, id or word may hold one (the OS refuses it in a path)
            return f"{method}: param '{p.name}' contains a NUL character (\\u0000)"
    return None


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if "\x00" in v:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False
