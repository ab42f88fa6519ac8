"""A run on a SLURM cluster, with the run folder as the contract (docs/CLUSTER.md).

submit: on the login node, create the run folder (the config validated and every input checked now, not
        when the job starts hours later: preflight.py), write <run>/cluster/job.sbatch, sbatch it, and record
        the job in <run>/cluster/jobs.json.
status: the last job's SLURM state beside the run's own status (run.json), for the runs tree and the CLI.
cancel: SIGTERM to every rank (the run checkpoints and records "cancelled") or, still queued, out of the queue.
resubmit: the same script again (options may change), which resumes the run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping

from wsss_engine.cluster import slurm
from wsss_engine.cluster.options import ClusterOptions, cluster_options
from wsss_engine.cluster.sbatch_script import OUTPUT_PATTERN, SCRIPT_NAME, checked_path, render_script
from wsss_engine.errors import ClusterError, ConfigInvalid, RunNotFound
from wsss_engine.json_input import read_json_file
from wsss_engine.runs.run_folder import RunFolder, utc_now
from wsss_engine.runs.stop_request import clear_stop, request_stop

JOBS_FILE = "jobs.json"  # in <run>/cluster/: {"jobs": [{"id", "submitted", "host", "options", "script"}, ...]}


def submit_run(
    config_path: str | Path | None,
    run_dir: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    resume: bool = False,
) -> dict[str, Any]:
    """Create (or, resume=True, reopen) the run folder and submit its job; returns the job record."""
    from wsss_engine.pipeline import load_stored_config, prepare_run

    if not resume:
        if config_path is None:
            raise ConfigInvalid("no run config given", "pass the run config to submit")
        run, loaded = prepare_run(config_path, run_dir, resume=False)  # validation + preflight, nothing runs
    else:
        _refuse_active_job(Path(run_dir))
        run = RunFolder.open(run_dir)
        try:
            loaded = load_stored_config(run.path, run.record.get("configPath"))
        except BaseException:
            run.close()
            raise
    try:
        options = cluster_options(loaded.config.get("cluster"), overrides, where=str(loaded.path or "the run config"))
        _check_device(options, loaded.config.get("device", "auto"))
        record = _submit(run, options)
    finally:
        run.close()
    return record


def _submit(run: RunFolder, options: ClusterOptions) -> dict[str, Any]:
    folder = run.subdir("cluster")
    clear_stop(run.path)  # an old request would stop the new job at once
    script = folder / SCRIPT_NAME
    text = render_script(options, run_dir=run.path, job_name=str(run.record.get("name", "")), python=_python(options))
    script.write_text(text, encoding="utf-8")
    output = checked_path(folder, "run folder") + "/" + OUTPUT_PATTERN
    job_id = slurm.submit(
        checked_path(script, "job script"), [f"--output={output}", f"--chdir={folder}"], options.ssh_host
    )
    record = {
        "id": job_id,
        "submitted": utc_now(),
        "host": options.ssh_host or "local",
        "script": str(script),
        "worldSize": options.world_size,
        "options": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in options.__dict__.items()},
    }
    jobs = _jobs(run.path)
    run.write_json(Path("cluster") / JOBS_FILE, {"jobs": [*jobs, record]})
    return record


def preview_script(config_path: str | Path, run_dir: str | Path, overrides: Mapping[str, Any] | None = None) -> str:
    """The script `submit_run` would write, from the config alone (nothing created or submitted)."""
    from wsss_engine.pipeline import load_run_config

    loaded = load_run_config(config_path)
    options = cluster_options(loaded.config.get("cluster"), overrides, where=str(loaded.path))
    _check_device(options, loaded.config.get("device", "auto"))
    return render_script(
        options, run_dir=Path(run_dir).absolute(), job_name=str(loaded.config.get("name", "")), python=_python(options)
    )


def job_status(run_dir: str | Path) -> dict[str, Any]:
    """{"job": last job record, "state", "reason", "active", "runStatus", "jobs": count}."""
    path, job, state = _last_job(run_dir)
    run_status = _run_status(path)
    return {
        "job": job,
        "jobs": len(_jobs(path)),
        "state": state.state,
        "reason": state.reason,
        "source": state.source,
        "active": state.active,
        "runStatus": run_status,
    }


def cancel_job(run_dir: str | Path, now: bool = False) -> dict[str, Any]:
    """A queued job leaves the queue; a running one is asked to stop politely through the run folder (every rank
    checkpoints, the run is recorded "cancelled", the job ends by itself); `now` cancels it in SLURM at once."""
    path, job, state = _last_job(run_dir)
    if not state.active:
        raise ClusterError(
            f"job {job['id']} of {path} is not queued or running (SLURM says {state.state})",
            "resubmit the run to continue it",
            path,
        )
    if now or state.state != "RUNNING":
        slurm.cancel(job["id"], _host(job))
        how = "scancel"
    else:
        request_stop(path, "cancel")
        how = "stop request"
    return {"job": job, "state": state.state, "how": how}


def _last_job(run_dir: str | Path) -> tuple[Path, dict[str, Any], slurm.JobState]:
    """The run folder, its last job record and SLURM's word on that job."""
    path = Path(run_dir).absolute()
    jobs = _jobs(path)
    if not jobs:
        raise RunNotFound(f"{path} has no cluster job", "submit the run with 'Run on Cluster…' first", path)
    return path, jobs[-1], slurm.job_state(jobs[-1]["id"], _host(jobs[-1]))


def _refuse_active_job(path: Path) -> None:
    jobs = _jobs(path)
    if jobs:
        state = slurm.job_state(jobs[-1]["id"], _host(jobs[-1]))
        if state.active:
            raise ClusterError(
                f"{path} already has job {jobs[-1]['id']} ({state.state})",
                "wait for it to end, or cancel it first",
                path,
            )


def _jobs(path: Path) -> list[dict[str, Any]]:
    file = path / "cluster" / JOBS_FILE
    if not file.is_file():
        return []
    data = read_json_file(file, what="the run's cluster job record", error=ClusterError)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and str(j.get("id", "")).isdigit() for j in jobs):
        raise ClusterError(f"{file} is not a cluster job record", "delete it and submit the run again", file)
    return jobs


def _host(job: dict[str, Any]) -> str:
    return "" if job.get("host") in (None, "local") else str(job["host"])


def _run_status(path: Path) -> str:
    try:
        record = read_json_file(path / "run.json", what="run record", error=ClusterError)
    except ClusterError:  # not yet visible on the shared file system: not fatal for a status
        return "unknown"
    return str(record.get("status", "unknown")) if isinstance(record, dict) else "unknown"


def _python(options: ClusterOptions) -> str:
    return options.python or sys.executable


def _check_device(options: ClusterOptions, device: str) -> None:
    if options.gpus_per_node and device in ("cpu", "mps"):
        raise ConfigInvalid(
            f"the job asks for {options.gpus_per_node} GPU(s) per node but the run config's device is {device!r}",
            'set "device": "cuda" (or "auto") in the run config, or gpus_per_node 0 for a CPU job',
        )
    if not options.gpus_per_node and device.startswith("cuda"):
        raise ConfigInvalid(
            f"the run config's device is {device!r} but the job asks for no GPU",
            "set gpus_per_node (--gpus-per-node, setting wsss.cluster.gpusPerNode)",
        )
