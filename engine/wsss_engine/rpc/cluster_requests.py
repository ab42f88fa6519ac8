"""Engine requests `cluster/submit`, `cluster/status`, `cluster/cancel` (docs/CLUSTER.md): the extension's
"Run on Cluster…", the runs tree's job state and its cancel, over cluster/jobs.py. SLURM's commands run in the
engine (locally, or through the configured ssh host); the run folder stays the contract for progress."""

from __future__ import annotations

import threading
from typing import Any

from ..errors import ConfigInvalid
from .server import register_request


def _run_dir(params: dict[str, Any]) -> str:
    run_dir = params["runDir"]
    if not isinstance(run_dir, str) or not run_dir:
        raise ConfigInvalid("cluster request: runDir must be the run folder's path")
    return run_dir


def submit(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    from ..cluster.jobs import submit_run

    options = params.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigInvalid("cluster/submit: options must be an object of cluster options (docs/CLUSTER.md)")
    job = submit_run(params.get("configPath"), _run_dir(params), options, resume=bool(params.get("resume")))
    return {"job": job}


def status(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    from ..cluster.jobs import job_status

    return job_status(_run_dir(params))


def cancel(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    from ..cluster.jobs import cancel_job

    return cancel_job(_run_dir(params), bool(params.get("now")))


register_request("cluster/submit", submit)
register_request("cluster/status", status)
register_request("cluster/cancel", cancel)
