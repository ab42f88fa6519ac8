"""`wsss-engine daemon {run,start,stop,status}` and `wsss-engine runs {list,start,attach,stop}`: the engine daemon
(rpc/daemon.py) from a terminal. Runs started here are the same runs VS Code windows see, in the same queue."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

from wsss_engine.rpc.daemon import IDLE_TIMEOUT_S, DaemonError, daemon_paths, read_pid, run_daemon
from wsss_engine.rpc.daemon_client import DaemonClient, answers, ensure_daemon

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 130


def add_parsers(sub: Any) -> None:
    daemon = sub.add_parser("daemon", help="the engine daemon: one engine per user that outlives VS Code windows")
    daemon.add_argument("--state-dir", help="its folder (default $WSSS_ENGINE_STATE_DIR or the per-user one)")
    actions = daemon.add_subparsers(dest="action", required=True)
    for name, text in (
        ("run", "serve in the foreground"),
        ("start", "start it detached unless one answers; print {socket, pid, log, started} as JSON"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT_S, help="seconds with no client and no run")
    actions.add_parser("stop", help="stop it (its runs save checkpoints first)")
    actions.add_parser("status", help="whether one answers, its pid and log")

    runs = sub.add_parser("runs", help="the daemon's runs: list, start, attach (follow progress), stop")
    runs.add_argument("--state-dir", help="the daemon's folder (as for `daemon`)")
    actions = runs.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every run of the daemon, with its status (JSON with --json)").add_argument(
        "--json", action="store_true"
    )
    start = actions.add_parser("start", help="queue a run on the daemon (starting it if needed), then follow it")
    start.add_argument("--config", help="run config JSON (optional with --resume)")
    start.add_argument("--run-dir", required=True)
    start.add_argument("--resume", action="store_true")
    start.add_argument("--detach", action="store_true", help="return once queued instead of following progress")
    actions.add_parser("attach", help="follow a run's progress until it ends").add_argument("run_id")
    actions.add_parser("stop", help="stop a run (a queued one leaves the queue at once)").add_argument("run_id")


def main(args: argparse.Namespace) -> int:
    paths = daemon_paths(args.state_dir)
    try:
        if args.command == "daemon":
            return _daemon(args, paths)
        if args.action == "start":
            ensure_daemon(paths)
        client = DaemonClient(paths)
        try:
            return _runs(args, client)
        finally:
            client.close()
    except DaemonError as exc:
        print(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return EXIT_FAILED


def _daemon(args: argparse.Namespace, paths: Any) -> int:
    if args.action == "run":
        from wsss_engine.plugins import load_plugins

        load_plugins()
        return run_daemon(str(paths.folder), args.idle_timeout)
    if args.action == "start":
        print(json.dumps(ensure_daemon(paths, args.idle_timeout)))
        return EXIT_OK
    pid = read_pid(paths)
    alive = answers(paths)
    if args.action == "status":
        print(
            json.dumps(
                {"running": alive, "pid": pid if alive else None, "socket": str(paths.socket), "log": str(paths.log)}
            )
        )
        return EXIT_OK if alive else EXIT_FAILED
    if not alive or pid is None:
        print(f"no engine daemon answers on {paths.socket}", file=sys.stderr)
        return EXIT_OK
    os.kill(pid, signal.SIGTERM)
    while answers(paths):
        time.sleep(0.1)
    return EXIT_OK


def _runs(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.action == "list":
        runs = client.result("run/list")["runs"]
        if args.json:
            print(json.dumps(runs, indent=2))
        for r in [] if args.json else runs:
            behind = f" (queued behind {r['queuedBehind']['name']})" if r.get("queuedBehind") else ""
            print(f"{r['runId']}  {r['status']:<9}  {r['name']}{behind}  {r['runDir']}")
        return EXIT_OK
    if args.action == "stop":
        cancelled = client.result("run/cancel", {"runId": args.run_id})["cancelled"]
        print(f"run {args.run_id}: {'stopping' if cancelled else 'had already ended'}", file=sys.stderr)
        return EXIT_OK
    if args.action == "start":
        params: dict[str, Any] = {"runDir": os.path.abspath(args.run_dir), "resume": args.resume}
        if args.config:
            params["configPath"] = os.path.abspath(args.config)  # the daemon's cwd is its own folder
        started = client.result("run/start", params)
        behind = started["queuedBehind"]
        print(
            f"run {started['runId']} in {started['runDir']}" + (f", queued behind {behind['name']}" if behind else ""),
            file=sys.stderr,
        )
        if args.detach:
            return EXIT_OK
        return _follow(client, started["runId"])
    known = {r["runId"]: r for r in client.result("run/list")["runs"]}
    if args.run_id not in known:
        print(f"error: the daemon has no run {args.run_id!r}; `wsss-engine runs list` shows its runs", file=sys.stderr)
        return EXIT_FAILED
    if known[args.run_id]["status"] not in ("running", "created"):
        print(f"run {args.run_id} {known[args.run_id]['status']}", file=sys.stderr)
        return EXIT_OK
    return _follow(client, args.run_id)


def _follow(client: DaemonClient, run_id: str) -> int:
    """Progress lines until run/finished; Ctrl-C detaches (the run goes on in the daemon)."""
    from wsss_engine.cli import StderrProgress

    shown = 0
    printer = StderrProgress()
    try:
        while True:
            total = len(client.notifications)
            finished = client.notes("run/finished", run_id)
            progress = client.notes("run/progress", run_id)
            for p in progress[shown:]:
                printer.progress(p["stageId"], p["done"], p["total"], p["message"])
            shown = len(progress)
            if finished:
                f = finished[0]
                what = "removed from the queue" if f["removedFromQueue"] else f["status"]
                print(f"run {run_id} {what}" + (f": {f['error']['message']}" if f["error"] else ""), file=sys.stderr)
                return {"completed": EXIT_OK, "cancelled": EXIT_CANCELLED}.get(f["status"], EXIT_FAILED)
            client.wait_for(lambda n=total: len(client.notifications) > n, 24 * 3600, f"the end of run {run_id}")
    except KeyboardInterrupt:
        print(f"detached; the run goes on (`wsss-engine runs attach {run_id}`)", file=sys.stderr)
        return EXIT_OK
