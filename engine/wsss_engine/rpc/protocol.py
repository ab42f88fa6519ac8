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
# 4: cluster/submit, cluster/status, cluster/cancel (runs on a SLURM cluster).
# 5: the engine daemon (one engine per user, rpc/daemon.py): run/started to every client, run/start answers
#    queuedBehind, run/list entries carry name, stages, queuedBehind and the last progress, run/finished says
#    removedFromQueue; `shutdown` on a daemon connection ends that connection only.
# 6: experiment/start|resume|stop|status and experiment/progress|finished (EXPERIMENT_METHODS below).
PROTOCOL_VERSION = 6

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
    # On a connection to the engine daemon it ends that connection only: the runs go on.
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
        result=("runId", "runDir", "name", "stages", "queuedBehind"),
    ),
    # Ask a running run to stop at its next cancellation point (it saves a checkpoint).
    "run/cancel": Method(params=(Param("runId", "string"),), result=("cancelled",)),
    # Runs this engine process has started (the daemon: from any client), with status, name, stages, the run
    # a queued one waits for, and the last progress (a reattaching window shows them at once).
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
    # A run on a SLURM cluster (rpc/cluster_requests.py, docs/CLUSTER.md): create the run folder (inputs checked)
    # and sbatch its job, or (resume) resubmit it; `options` are cluster options over the config's `cluster` block.
    "cluster/submit": Method(
        params=(
            Param("configPath", "string", False, nullable=True),
            Param("runDir", "string"),
            Param("resume", "boolean", False),
            Param("options", "object", False),
        ),
        result=("job",),
        long=True,
    ),
    # The run's last job: SLURM's state (squeue, scontrol or sacct) beside the run's own status (run.json).
    "cluster/status": Method(
        params=(Param("runDir", "string"),),
        result=("job", "jobs", "state", "reason", "source", "active", "runStatus"),
        long=True,
    ),
    # Stop the run's job: politely through the run folder (running), out of the queue (pending), or `now`.
    "cluster/cancel": Method(
        params=(Param("runDir", "string"), Param("now", "boolean", False)),
        result=("job", "state", "how"),
        long=True,
    ),
}

# -- experiments (rpc/experiments.py, docs/EXPERIMENTS.md): their own block, mirrored by protocol/experiments.ts
EXPERIMENT_UNITS = ("experimentDir", "name", "status", "units", "error")
EXPERIMENT_METHODS: dict[str, Method] = {
    # Expand and validate the experiment file (ConfigInvalid naming the variant), write the folder, then run its
    # units on a worker thread; answers the plan. Long: a synthetic base first makes the world and tiny CLIP.
    "experiment/start": Method(
        params=(Param("experimentPath", "string"), Param("experimentDir", "string")),
        result=EXPERIMENT_UNITS,
        long=True,
    ),
    # Continue a stopped, failed or interrupted experiment: completed runs kept, the interrupted one resumed.
    "experiment/resume": Method(params=(Param("experimentDir", "string"),), result=EXPERIMENT_UNITS),
    # Stop the experiment this engine runs in that folder (the running run saves its checkpoint).
    "experiment/stop": Method(params=(Param("experimentDir", "string"),), result=("stopped",)),
    # experiment.json with each run's status read from its run.json.
    "experiment/status": Method(params=(Param("experimentDir", "string"),), result=EXPERIMENT_UNITS),
}
METHODS.update(EXPERIMENT_METHODS)
EXPERIMENT_NOTIFICATIONS: dict[str, Notification] = {
    # A stage's progress in one of the experiment's runs (unit: "shared/<run>" or "runs/<variant>-s<seed>").
    "experiment/progress": Notification(("experimentDir", "unit", "stageId", "done", "total", "message")),
    # The experiment's worker ended: completed (table written), failed (error names the run) or cancelled.
    "experiment/finished": Notification(("experimentDir", "status", "error")),
}

NOTIFICATIONS: dict[str, Notification] = {
    **EXPERIMENT_NOTIFICATIONS,
    # Once, after the initialize reply, when torch has loaded: every device (the CPU first) and torch's version.
    "engine/devices": Notification(("torchVersion", "devices")),
    # A run was started or resumed (by this client or, on the daemon, any other): what run/start answered.
    "run/started": Notification(("runId", "runDir", "name", "stages", "queuedBehind")),
    "run/progress": Notification(("runId", "stageId", "done", "total", "message")),
    # removedFromQueue: cancelled while it waited for another run (it never started, has no checkpoint).
    "run/finished": Notification(("runId", "status", "error", "removedFromQueue")),
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
