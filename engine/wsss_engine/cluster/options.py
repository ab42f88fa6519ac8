"""What a cluster job asks SLURM for (docs/CLUSTER.md): one frozen, validated object, filled from the run
config's optional `cluster` block, then the caller's overrides (the CLI's flags, the extension's settings).

Every value ends up in an sbatch script, so every value is checked here against a narrow pattern; nothing a
user typed is ever pasted into the script unchecked (the script also quotes each value, sbatch_script.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from wsss_engine.errors import ConfigInvalid

# SLURM's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
_TIME = re.compile(r"^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.,+-]{0,127}$")  # partition, account, qos, constraint, job name
_MEM = re.compile(r"^\d+[KMGT]?$")
_HOST = re.compile(r"^([A-Za-z0-9_.-]+@)?[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")  # an ssh destination (user@host)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class ClusterOptions:
    """One job. `agents_per_node` > 1 runs several torchrun agents on one node, each a rendezvous "node": how the
    tests simulate 2 nodes on one machine; on a real cluster leave it at 1."""

    nodes: int = 1
    gpus_per_node: int = 0  # 0: CPU ranks (gloo); the run config's `device` must agree
    procs_per_node: int = 0  # torchrun processes per node; 0: one per GPU, or 1 on CPU
    agents_per_node: int = 1
    cpus_per_task: int = 0  # 0: SLURM's default
    mem: str = ""  # per node, e.g. "64G"; "": SLURM's default
    time: str = "24:00:00"
    partition: str = ""
    account: str = ""
    qos: str = ""
    constraint: str = ""
    job_name: str = ""  # "": the run's name
    signal_lead_s: int = 120  # SIGUSR1 this long before the time limit: checkpoint, then requeue
    requeue: bool = True  # requeue at the time limit and on preemption (the job resumes the run)
    rendezvous_port: int = 0  # 0: 20000 + job id mod 20000
    ssh_host: str = ""  # submit and query through `ssh HOST` where VS Code is not on the login node
    python: str = ""  # the engine's Python on the compute nodes; "": the submitting engine's own
    env: Mapping[str, str] = field(default_factory=dict)  # extra environment for the job (NAME -> value)

    @property
    def procs(self) -> int:
        """torchrun processes per agent."""
        if self.procs_per_node:
            return max(1, self.procs_per_node // self.agents_per_node)
        return max(1, self.gpus_per_node // self.agents_per_node) if self.gpus_per_node else 1

    @property
    def world_size(self) -> int:
        return self.nodes * self.agents_per_node * self.procs


_INTS = {
    "nodes": 1,
    "gpus_per_node": 0,
    "procs_per_node": 0,
    "agents_per_node": 1,
    "cpus_per_task": 0,
    "signal_lead_s": 0,
    "rendezvous_port": 0,
}
_PATTERNS = {
    "mem": _MEM,
    "time": _TIME,
    "partition": _NAME,
    "account": _NAME,
    "qos": _NAME,
    "constraint": _NAME,
    "job_name": _NAME,
    "ssh_host": _HOST,
}
_KEYS = {f.name for f in fields(ClusterOptions)}


def cluster_options(*layers: Mapping[str, Any] | None, where: str = "cluster options") -> ClusterOptions:
    """Options from layers of plain mappings (later ones win; None values and missing keys keep the earlier
    value), validated. `where` names the source in errors (a config file, "settings")."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if key not in _KEYS:
                raise ConfigInvalid(
                    f"{where}: unknown cluster option {key!r}", f"known options: {', '.join(sorted(_KEYS))}"
                )
            if value is not None:
                merged[key] = value
    problems = [p for key, value in merged.items() if (p := _problem(key, value))]
    if problems:
        raise ConfigInvalid(
            f"{where}: {problems[0]}",
            "fix the value (docs/CLUSTER.md lists each option and its form)",
            errors=[{"path": f"$.cluster.{p.split(' ', 1)[0]}", "message": p} for p in problems],
        )
    options = replace(ClusterOptions(), **{k: (dict(v) if k == "env" else v) for k, v in merged.items()})
    if options.procs_per_node and options.procs_per_node % options.agents_per_node:
        raise ConfigInvalid(f"{where}: procs_per_node must be a multiple of agents_per_node")
    return options


def _problem(key: str, value: Any) -> str | None:
    if key in _INTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < _INTS[key]:
            return f"{key} must be an integer >= {_INTS[key]} (got {value!r})"
        if key == "rendezvous_port" and value and not 1024 <= value <= 65535:
            return f"{key} must be 0 or a port in 1024-65535 (got {value})"
        return None
    if key == "requeue":
        return None if isinstance(value, bool) else f"requeue must be true or false (got {value!r})"
    if key == "python":
        ok = isinstance(value, str) and (value == "" or (value.startswith("/") and "\n" not in value))
        return None if ok else f"python must be an absolute path on the compute nodes (got {value!r})"
    if key == "env":
        if not isinstance(value, Mapping):
            return "env must be an object of NAME: value"
        for name, v in value.items():
            if not (isinstance(name, str) and _ENV_NAME.match(name)) or not isinstance(v, str) or "\n" in v:
                return f"env {name!r} must be a NAME: one-line string value"
        return None
    pattern = _PATTERNS[key]
    if not isinstance(value, str) or (value and not pattern.match(value)):
        return f"{key} has an unexpected form: {value!r}"
    return None
