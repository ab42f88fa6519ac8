"""SLURM's own commands (sbatch, squeue, scontrol, sacct, scancel), run locally or through `ssh HOST` where
the editor is not on the login node (docs/CLUSTER.md). Arguments are lists, never shell strings; through ssh
each argument is quoted for the remote shell, and the host itself was checked by options.py.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass

from wsss_engine.errors import ClusterError

TIMEOUT_S = 60
# States in which a job still holds (or waits for) resources; anything else has ended.
ACTIVE_STATES = {
    "PENDING",
    "CONFIGURING",
    "RUNNING",
    "COMPLETING",
    "REQUEUED",
    "REQUEUE_HOLD",
    "REQUEUE_FED",
    "RESIZING",
    "SUSPENDED",
    "STOPPED",
    "SIGNALING",
    "STAGE_OUT",
}


@dataclass(frozen=True)
class JobState:
    state: str  # SLURM's state name, or "UNKNOWN" when no SLURM command knows the job any more
    reason: str = ""
    source: str = ""  # which command said so: squeue, scontrol, sacct

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def command(argv: list[str], ssh_host: str = "") -> list[str]:
    if not ssh_host:
        return argv
    return ["ssh", "-o", "BatchMode=yes", ssh_host, " ".join(shlex.quote(a) for a in argv)]


def run_slurm(argv: list[str], ssh_host: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = command(argv, ssh_host)
    if not ssh_host and shutil.which(argv[0]) is None:
        raise ClusterError(
            f"{argv[0]} is not on PATH: SLURM's commands are needed to run on a cluster",
            "run VS Code (or the CLI) on the cluster's login node, or set the ssh host of the login node "
            "(setting wsss.cluster.sshHost, or --ssh-host)",
        )
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise ClusterError(f"cannot run {cmd[0]}: {exc}", "install OpenSSH's client, or clear the ssh host") from exc
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(
            f"{' '.join(argv[:2])} did not answer within {TIMEOUT_S} s", "check that SLURM's controller is up"
        ) from exc
    if check and done.returncode != 0:
        raise ClusterError(
            f"{' '.join(argv[:2])} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[:500]}",
            "see SLURM's message above; `sinfo` shows the partitions and their state",
        )
    return done


def submit(script: str, sbatch_args: list[str], ssh_host: str = "") -> str:
    """sbatch SCRIPT with extra arguments; returns the job id."""
    out = run_slurm(["sbatch", "--parsable", *sbatch_args, script], ssh_host).stdout.strip()
    job_id = out.split(";", 1)[0].strip()
    if not job_id.isdigit():
        raise ClusterError(f"sbatch printed {out!r} instead of a job id", "check the job script and sbatch's output")
    return job_id


def job_state(job_id: str, ssh_host: str = "") -> JobState:
    """squeue while SLURM holds the job; then scontrol (finished jobs for MinJobAge); then sacct (accounting)."""
    done = run_slurm(["squeue", "-h", "-j", job_id, "-o", "%T|%r"], ssh_host, check=False)
    line = done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else ""
    if line:
        state, _, reason = line.partition("|")
        return JobState(state, "" if reason == "None" else reason, "squeue")
    done = run_slurm(["scontrol", "show", "job", "-o", job_id], ssh_host, check=False)
    if done.returncode == 0 and "JobState=" in done.stdout:
        fields = dict(f.split("=", 1) for f in done.stdout.split() if "=" in f)
        reason = fields.get("Reason", "None")
        return JobState(fields["JobState"], "" if reason == "None" else reason, "scontrol")
    if shutil.which("sacct") or ssh_host:
        done = run_slurm(["sacct", "-n", "-X", "-P", "-j", job_id, "-o", "State,Reason"], ssh_host, check=False)
        rows = [r for r in done.stdout.strip().splitlines() if r] if done.returncode == 0 else []
        if rows:
            state, _, reason = rows[-1].partition("|")
            return JobState(state.split()[0], "" if reason == "None" else reason, "sacct")
    return JobState("UNKNOWN", "SLURM no longer lists the job (and keeps no accounting)", "")


def cancel(job_id: str, ssh_host: str = "") -> None:
    """Remove the job at once (queued: from the queue; running: SIGTERM then SIGKILL after KillWait)."""
    run_slurm(["scancel", job_id], ssh_host)
