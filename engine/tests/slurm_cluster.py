"""A real, private, single-machine SLURM for the tests: munged (if none runs), slurmctld and slurmd from
Debian's slurm-wlm with a minimal config in a temp folder, on free ports; SLURM_CONF points the tests' SLURM
commands at it. Needs root (slurmd runs jobs as their user) and the packages (scripts/install-test-deps.sh
installs them); otherwise the tests that use it are skipped with the reason."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "srun")


def unavailable_reason() -> str | None:
    if os.name != "posix" or os.geteuid() != 0:
        return "a private SLURM needs root (slurmd starts jobs as their user)"
    missing = [b for b in BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]
    return f"SLURM is not installed ({', '.join(missing)} missing: apt install slurm-wlm munge)" if missing else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of this process counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _munge_running() -> bool:
    return subprocess.run(["munge", "-n"], capture_output=True).returncode == 0


class PrivateSlurm:
    """Start with `start()`, stop with `stop()`; `env` is the environment SLURM's commands need."""

    def __init__(self, folder: Path, cpus: int = 2) -> None:
        self.folder = folder
        self.cpus = cpus
        self.host = socket.gethostname()
        self.conf = folder / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.started_munge = False

    def start(self, timeout_s: float = 30) -> None:
        for sub in ("state", "spool", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        if not _munge_running():
            for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
                Path(d).mkdir(parents=True, exist_ok=True)
            subprocess.run([_binary("munged"), "--force"], check=True, capture_output=True)
            self.started_munge = True
        self.conf.write_text(self._config(), encoding="utf-8")
        subprocess.run([_binary("slurmctld"), "-f", str(self.conf), "-i"], check=True, env=self.env)
        subprocess.run([_binary("slurmd"), "-f", str(self.conf)], check=True, env=self.env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
            if out.returncode == 0 and out.stdout.strip() in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the private SLURM did not come up; logs in {self.folder / 'log'}")

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM to both daemons, then wait until they are gone (slurmctld saves its state on the way out)."""
        pids = []
        for name in ("slurmd", "slurmctld"):
            pid_file = self.folder / f"{name}.pid"
            try:
                pid = int(pid_file.read_text().strip())
                os.kill(pid, 15)
                pids.append(pid)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout_s
        for pid in pids:
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.1)
        if self.started_munge:
            subprocess.run(["pkill", "-x", "munged"], capture_output=True)

    def _config(self) -> str:
        f = self.folder
        return "\n".join(
            [
                "ClusterName=wsss-test",
                f"SlurmctldHost={self.host}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                f"StateSaveLocation={f / 'state'}",
                f"SlurmdSpoolDir={f / 'spool'}",
                f"SlurmctldPidFile={f / 'slurmctld.pid'}",
                f"SlurmdPidFile={f / 'slurmd.pid'}",
                f"SlurmctldLogFile={f / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={f / 'log' / 'slurmd.log'}",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "SchedulerType=sched/backfill",
                "ReturnToService=2",
                "MpiDefault=none",
                "KillWait=30",
                "MinJobAge=600",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "JobCompType=jobcomp/none",
                f"NodeName={self.host} CPUs={self.cpus} RealMemory=1000 State=UNKNOWN",
                f"PartitionName=debug Nodes={self.host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES",
                "",
            ]
        )


def main(argv: list[str]) -> int:
    """`python slurm_cluster.py start|stop FOLDER`, for the TypeScript tests: start prints {"conf": path} (the
    daemons detach themselves); stop ends them (a munged started here keeps running: other tests may use it)."""
    import json
    import sys

    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: slurm_cluster.py start|stop FOLDER", file=sys.stderr)
        return 2
    if reason := unavailable_reason():
        print(json.dumps({"unavailable": reason}))
        return 0
    cluster = PrivateSlurm(Path(argv[1]), cpus=max(2, os.cpu_count() or 2))
    if argv[0] == "start":
        cluster.start()
        print(json.dumps({"conf": str(cluster.conf)}))
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
