"""`wsss_engine cluster submit|resume|status|cancel|script` (docs/CLUSTER.md). Prints JSON with --json (the
shape of jobs.py's records), one line per fact otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# flag -> ClusterOptions field (the flags a researcher changes most; the rest live in the config's `cluster` block)
FLAGS = {
    "nodes": int,
    "gpus_per_node": int,
    "procs_per_node": int,
    "agents_per_node": int,
    "cpus_per_task": int,
    "mem": str,
    "time": str,
    "partition": str,
    "account": str,
    "qos": str,
    "ssh_host": str,
    "python": str,
}


def add_parser(sub: Any) -> None:
    cluster = sub.add_parser("cluster", help="run a config on a SLURM cluster (sbatch + torchrun; docs/CLUSTER.md)")
    actions = cluster.add_subparsers(dest="action", required=True)
    for name, text in (
        ("submit", "create the run folder (inputs checked now), write its job script and sbatch it"),
        ("resume", "resubmit a run's job: it resumes from the last checkpoints"),
        ("script", "print the job script a submit would write (nothing is created or submitted)"),
    ):
        p = actions.add_parser(name, help=text)
        if name != "resume":
            p.add_argument("--config", required=True, help="run config JSON")
        p.add_argument("--run-dir", required=True, help="the run folder, on a file system the nodes share")
        for flag, kind in FLAGS.items():
            p.add_argument("--" + flag.replace("_", "-"), type=kind, help=f"cluster option {flag} (docs/CLUSTER.md)")
        p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="job environment (repeatable)")
        p.add_argument("--json", action="store_true")
    for name, text in (("status", "the run's last job: SLURM state and run status"), ("cancel", "stop the job")):
        p = actions.add_parser(name, help=text)
        p.add_argument("--run-dir", required=True)
        p.add_argument("--json", action="store_true")
        if name == "cancel":
            p.add_argument(
                "--now", action="store_true", help="scancel at once (no checkpoint) instead of a polite stop"
            )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {flag: getattr(args, flag) for flag in FLAGS if getattr(args, flag) is not None}
    if args.env:
        out["env"] = dict(item.partition("=")[::2] for item in args.env)
    return out


def main(args: argparse.Namespace) -> dict[str, Any] | str:
    """The action's result (printed by the caller); raises EngineError subclasses."""
    from wsss_engine.cluster import jobs

    if args.action == "submit":
        return jobs.submit_run(args.config, args.run_dir, overrides(args))
    if args.action == "resume":
        return jobs.submit_run(None, args.run_dir, overrides(args), resume=True)
    if args.action == "status":
        return jobs.job_status(args.run_dir)
    if args.action == "cancel":
        return jobs.cancel_job(args.run_dir, args.now)
    return jobs.preview_script(args.config, args.run_dir, overrides(args))


def show(result: dict[str, Any] | str, as_json: bool) -> None:
    if isinstance(result, str):
        sys.stdout.write(result)
    elif as_json:
        print(json.dumps(result, indent=2))
    elif "state" in result and "runStatus" in result:
        reason = f" ({result['reason']})" if result.get("reason") else ""
        print(f"job {result['job']['id']}: {result['state']}{reason}; run: {result['runStatus']}")
    elif "submitted" in result:
        print(f"submitted job {result['id']} ({result['worldSize']} rank(s)); script: {result['script']}")
    else:
        print(f"job {result['job']['id']} ({result['state']}): {result['how']} sent")
