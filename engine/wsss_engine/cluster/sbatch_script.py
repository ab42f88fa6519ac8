"""The sbatch script of a run (docs/CLUSTER.md, "The job script").

One script serves the first start, every resubmission and every requeue: it always resumes the run folder,
which `cluster submit` created (and checked, preflight.py) on the login node. Inside the job:

  srun (one task per torchrun agent) -> torchrun --rdzv_backend c10d on the first node -> `wsss_engine run`
  ranks: rank 0 owns the run folder (distributed_run.py), every other rank logs to <run>/engine.rankN.log.

Stopping. SLURM sends the batch shell SIGUSR1 `signal_lead_s` before the time limit (`--signal=B:USR1@T`);
the shell writes the run's stop request (<run>/cluster/stop.json, runs/stop_request.py), every rank cancels
politely (the stage saves its checkpoint, the run is recorded "cancelled"), then the shell requeues the job,
which resumes the run. `cluster cancel` writes the same request without the requeue. Signals are not
forwarded to the step: srun answers SIGTERM by tearing the step down before the ranks can checkpoint. A
preemption (SIGTERM to every process, then SIGKILL) keeps the last periodic checkpoint; with requeue the job
restarts and resumes from it.

Only values checked by options.py go into #SBATCH lines; paths and environment values are shell-quoted.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from wsss_engine.cluster.options import ClusterOptions
from wsss_engine.errors import ConfigInvalid

SCRIPT_NAME = "job.sbatch"
OUTPUT_PATTERN = "slurm-%j.out"  # in <run>/cluster/; %j: SLURM's job id


def checked_path(path: Path, what: str) -> str:
    """A path that goes into a job script or an sbatch argument: absolute, one line, no SLURM % patterns."""
    text = str(path)
    if not path.is_absolute() or any(c in text for c in "\n\r\0%"):
        raise ConfigInvalid(
            f"{what} {text!r} cannot be used in a cluster job",
            "use an absolute path without line breaks or '%' (SLURM expands % in file names)",
            path,
        )
    return text


def directives(options: ClusterOptions, job_name: str) -> list[str]:
    """The #SBATCH lines (values validated by options.py, so none needs quoting)."""
    lines = [
        f"--job-name={options.job_name or job_name}",
        f"--nodes={options.nodes}",
        f"--ntasks-per-node={options.agents_per_node}",
        f"--time={options.time}",
        "--open-mode=append",
        f"--signal=B:USR1@{options.signal_lead_s}",
        "--requeue" if options.requeue else "--no-requeue",
    ]
    if options.gpus_per_node:
        lines.append(f"--gpus-per-node={options.gpus_per_node}")
    if options.cpus_per_task:
        lines.append(f"--cpus-per-task={options.cpus_per_task}")
    for key in ("mem", "partition", "account", "qos", "constraint"):
        if getattr(options, key):
            lines.append(f"--{key}={getattr(options, key)}")
    return [f"#SBATCH {line}" for line in lines]


def render_script(options: ClusterOptions, *, run_dir: Path, job_name: str, python: str) -> str:
    """The whole script text. `python` is the engine's interpreter on the compute nodes."""
    run = checked_path(run_dir, "run folder")
    py = checked_path(Path(python), "engine Python")
    safe_name = "".join(c if c.isalnum() or c in "_.-" else "-" for c in job_name)[:64] or "wsss-run"
    port = str(options.rendezvous_port) if options.rendezvous_port else "$((20000 + SLURM_JOB_ID % 20000))"
    env = [f"export {name}={shlex.quote(value)}" for name, value in sorted(options.env.items())]
    torchrun = [
        '"$PYTHON" -m torch.distributed.run',
        '--nnodes="$SLURM_NTASKS"',
        f"--nproc_per_node={options.procs}",
        "--rdzv_backend=c10d",
        '--rdzv_endpoint="$head_node:$port"',
        '--rdzv_id="wsss-$SLURM_JOB_ID-${SLURM_RESTART_COUNT:-0}"',
        "--max_restarts=0",
        '-m wsss_engine run --resume --run-dir "$RUN_DIR"',
    ]
    body = [
        "#!/bin/bash",
        f"# WSSS Studio: cluster job of run {safe_name} (written by `wsss_engine cluster submit`; docs/CLUSTER.md).",
        "# Resubmitting this script resumes the run from its last checkpoints.",
        *directives(options, safe_name),
        "set -u",
        *env,
        f"RUN_DIR={shlex.quote(run)}",
        f"PYTHON={shlex.quote(py)}",
        f"REQUEUE={1 if options.requeue else 0}",
        'head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
        f"port={port}",
        'stop_reason=""',
        # A polite stop of every rank: the run folder's stop request (runs/stop_request.py), written atomically.
        'request_stop() { stop_reason=$1; printf \'{"reason": "%s"}\\n\' "$1" > "$RUN_DIR/cluster/.stop.json.tmp"'
        ' && mv -f "$RUN_DIR/cluster/.stop.json.tmp" "$RUN_DIR/cluster/stop.json"; return 0; }',
        "trap 'request_stop timelimit' USR1",
        "trap 'request_stop terminated' TERM",
        'echo "wsss: job $SLURM_JOB_ID (restart ${SLURM_RESTART_COUNT:-0}) on $SLURM_JOB_NODELIST,'
        ' $SLURM_NTASKS agent(s), rendezvous $head_node:$port"',
        f"srun --kill-on-bad-exit=1 --ntasks-per-node={options.agents_per_node} \\",
        "  " + " \\\n  ".join(torchrun) + " &",
        "step=$!",
        "rc=0",
        # `wait` returns early when a trapped signal arrives: wait again until the step has really ended.
        'while :; do wait "$step"; rc=$?; kill -0 "$step" 2>/dev/null || break; done',
        'if [ "$stop_reason" = timelimit ] && [ "$REQUEUE" = 1 ]; then',
        '  echo "wsss: the time limit is near; the run saved its checkpoint; requeueing job $SLURM_JOB_ID"',
        '  rm -f "$RUN_DIR/cluster/stop.json"',
        '  scontrol requeue "$SLURM_JOB_ID"',
        "fi",
        'echo "wsss: job $SLURM_JOB_ID ends with exit code $rc (${stop_reason:-no stop asked})"',
        'exit "$rc"',
    ]
    return "\n".join(body) + "\n"
