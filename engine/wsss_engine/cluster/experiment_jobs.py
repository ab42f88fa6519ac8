"""An experiment on a SLURM cluster (docs/CLUSTER.md, "Experiments"): its runs as job arrays.

The experiment is created on the login node as for a local start (every variant expanded and validated,
experiments/runner.py). Its units go in waves: a wave holds the units whose needs (the shared runs they read)
are all in earlier waves; each wave is one job array, task i running unit i, and depends on the wave before it
(`--dependency=afterok:<previous array>`, so a failed shared run holds the rest back instead of running them on
missing inputs). The first wave's run folders are created now, each with its inputs checked (preflight.py);
later waves' runs check theirs when they start. Progress is each run folder's; `experiment table` aggregates
once all are done. Cancel: every run's stop request (a polite stop) and `scancel` of the waves still queued.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from wsss_engine.cluster import slurm
from wsss_engine.cluster.jobs import check_device, engine_python
from wsss_engine.cluster.options import cluster_options
from wsss_engine.cluster.sbatch_script import checked_path, render_array_script
from wsss_engine.errors import ClusterError, RunNotFound
from wsss_engine.json_input import read_json_file
from wsss_engine.runs.run_folder import atomic_write_json, utc_now
from wsss_engine.runs.stop_request import request_stop

JOBS = Path("cluster") / "jobs.json"  # in the experiment folder: {"waves": [{"id", "units": [names]}, ...]}


def waves(units: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Units in dependency waves (each unit after every unit it needs), in the plan's order within a wave."""
    placed: dict[str, int] = {}
    out: list[list[dict[str, Any]]] = []
    pending = list(units)
    while pending:
        ready = [u for u in pending if all(n in placed for n in u["needs"])]
        if not ready:
            names = ", ".join(u["name"] for u in pending)
            raise ClusterError(f"the experiment's units {names} need runs that are not in the plan")
        for u in ready:
            placed[u["name"]] = len(out)
        out.append(ready)
        pending = [u for u in pending if u["name"] not in placed]
    return out


def submit_experiment(
    experiment_file: str | Path, exp_dir: str | Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Create the experiment folder and submit its waves; returns {"experimentDir", "waves": [...]}."""
    from wsss_engine.experiments.runner import create_experiment
    from wsss_engine.pipeline import load_run_config, prepare_run

    exp_dir = Path(exp_dir).absolute()
    state = create_experiment(experiment_file, exp_dir)
    units = state["units"]
    first = load_run_config(exp_dir / units[0]["config"])
    options = cluster_options(first.config.get("cluster"), overrides, where=str(experiment_file))
    check_device(options, first.config.get("device", "auto"))
    plan = waves(units)
    for unit in plan[0]:  # created and checked now: a missing dataset or weight file fails here, not in the queue
        run, _ = prepare_run(exp_dir / unit["config"], exp_dir / unit["runDir"], resume=False)
        run.close()
    folder = exp_dir / "cluster"
    folder.mkdir(parents=True, exist_ok=True)
    output = checked_path(folder, "experiment folder") + "/slurm-%A_%a.out"
    submitted: list[dict[str, Any]] = []
    for index, wave in enumerate(plan):
        pairs = [(exp_dir / u["config"], exp_dir / u["runDir"]) for u in wave]
        script = folder / f"wave{index}.sbatch"
        script.write_text(
            render_array_script(
                options, units=pairs, job_name=f"{state['name']}-w{index}", python=engine_python(options)
            ),
            encoding="utf-8",
        )
        args = [f"--array=0-{len(wave) - 1}", f"--output={output}", f"--chdir={folder}"]
        if submitted:
            args.append(f"--dependency=afterok:{submitted[-1]['id']}")
        job_id = slurm.submit(checked_path(script, "job script"), args, options.ssh_host)
        submitted.append({"id": job_id, "units": [u["name"] for u in wave], "script": str(script)})
    record = {"submitted": utc_now(), "host": options.ssh_host or "local", "waves": submitted}
    atomic_write_json(exp_dir / JOBS, record)
    return {"experimentDir": str(exp_dir), **record}


def experiment_jobs_status(exp_dir: str | Path) -> dict[str, Any]:
    """Each wave's array job with SLURM's states of its tasks, beside each unit's run status."""
    exp_dir = Path(exp_dir).absolute()
    return _status(exp_dir, _record(exp_dir))


def _status(exp_dir: Path, record: dict[str, Any]) -> dict[str, Any]:
    from wsss_engine.experiments.runner import read_state

    runs = {u["name"]: u["status"] for u in read_state(exp_dir)["units"]}
    out = []
    for wave in record["waves"]:
        state = slurm.job_state(wave["id"], _host(record))
        out.append({**wave, "state": state.state, "reason": state.reason, "active": state.active})
    return {"experimentDir": str(exp_dir), "waves": out, "runs": runs}


def cancel_experiment(exp_dir: str | Path) -> dict[str, Any]:
    """Running runs: their stop request (each checkpoints); tasks still queued: removed."""
    exp_dir = Path(exp_dir).absolute()
    record = _record(exp_dir)
    status, host = _status(exp_dir, record), _host(record)
    stopped, removed = [], []
    for wave in status["waves"]:
        for name in wave["units"]:
            if status["runs"].get(name) == "running":
                request_stop(exp_dir / name, "cancel")
                stopped.append(name)
        if wave["active"]:
            slurm.cancel_pending(wave["id"], host)  # its queued tasks, and later waves waiting on it
            removed.append(wave["id"])
    return {"stopped": stopped, "removedJobs": removed}


def _host(record: dict[str, Any]) -> str:
    """The ssh host the waves were submitted through ("" where SLURM's commands are local)."""
    return "" if record.get("host") in (None, "local") else str(record["host"])


def _record(exp_dir: Path) -> dict[str, Any]:
    file = exp_dir / JOBS
    if not file.is_file():
        raise RunNotFound(f"{exp_dir} has no cluster jobs", "submit the experiment with `cluster experiment`", exp_dir)
    data = read_json_file(file, what="the experiment's cluster job record", error=ClusterError)
    if not isinstance(data, dict) or not isinstance(data.get("waves"), list):
        raise ClusterError(f"{file} is not a cluster job record", "submit the experiment again", file)
    return data
