"""The engine daemon (rpc/daemon.py, docs/ARCHITECTURE.md "Engine daemon"): a real detached daemon process per
test in its own state folder, real socket clients (rpc/daemon_client.py), the counting-stage plugin's real runs.
Two clients see the same runs; a client leaving cancels nothing; a queued run leaves the queue at once; a second
start finds the first daemon; the folder and socket are private; an idle daemon exits."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

from engine_client import engine_env, write_config
from wsss_engine.rpc.daemon import daemon_paths, read_pid
from wsss_engine.rpc.daemon_client import DaemonClient, answers
from wsss_engine.rpc.framing import FrameReader, encode_frame
from wsss_engine.rpc.protocol import PROTOCOL_VERSION


NO_PLUGINS = {"WSSS_ENGINE_PLUGINS": ""}  # a daemon that runs nothing imports no torch: it starts in a blink


def cli(state: Path, *args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsss_engine", *args[:1], "--state-dir", str(state), *args[1:]],
        env=engine_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]


@pytest.fixture
def state():
    """A fresh state folder (short path: a socket path is limited to ~107 bytes); its daemon is stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="wsd-", dir="/tmp")) / "state"
    yield folder
    pid = read_pid(daemon_paths(folder))
    cli(folder, "daemon", "stop")
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder.parent, ignore_errors=True)


def start_daemon(state: Path, idle_timeout: float = 60, env: dict | None = None) -> dict:
    done = cli(state, "daemon", "start", "--idle-timeout", str(idle_timeout), env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def count_config(folder: Path, steps: int, name: str, sleep_s: float = 0.02) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(folder, [{"id": "count", "type": "count", "steps": steps, "sleep_s": sleep_s}], name=name)


def start_run(client: DaemonClient, config: Path, run_dir: Path, resume: bool = False) -> dict:
    return client.result("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": resume}, 120)


def test_two_clients_share_runs_and_a_leaving_client_cancels_nothing(state, tmp_path):
    start_daemon(state)
    paths = daemon_paths(state)
    a, b = DaemonClient(paths), DaemonClient(paths)
    try:
        started = start_run(a, count_config(tmp_path / "c", 400, "long"), tmp_path / "run")
        run_id = started["runId"]
        assert started["queuedBehind"] is None
        seen = b.wait_for(lambda: b.notes("run/started", run_id), 30, "run/started at the other client")
        assert seen[0]["name"] == "long" and seen[0]["stages"] == [{"id": "count", "type": "count"}]
        b.wait_for(lambda: b.notes("run/progress", run_id), 60, "progress at the other client")
        a.close()  # the window that started it reloads
        c = DaemonClient(paths)  # ... and comes back
        try:
            listed = {r["runId"]: r for r in c.result("run/list")["runs"]}
            assert listed[run_id]["status"] == "running"
            assert listed[run_id]["progress"]["stageId"] == "count"
            before = listed[run_id]["progress"]["done"]
            c.wait_for(lambda: any(p["done"] > before for p in c.notes("run/progress", run_id)), 60, "more steps")
            assert c.result("run/cancel", {"runId": run_id}) == {"cancelled": True}  # stop from any window
            finished = c.wait_for(lambda: c.notes("run/finished", run_id), 60, "run/finished")[0]
            assert finished["status"] == "cancelled" and finished["removedFromQueue"] is False
            assert 0 < torch.load(tmp_path / "run" / "checkpoints" / "count.pt", weights_only=True)["step"] < 400
            resumed = c.result("run/start", {"runDir": str(tmp_path / "run"), "resume": True}, 120)
            assert resumed["runId"] == run_id
            c.result("run/cancel", {"runId": run_id})
            c.wait_for(lambda: len(c.notes("run/finished", run_id)) == 2, 60, "the resumed run's end")
        finally:
            c.close()
    finally:
        b.close()


def test_a_queued_run_shows_what_it_waits_for_and_leaves_the_queue_at_once(state, tmp_path):
    start_daemon(state)
    client = DaemonClient(daemon_paths(state))
    try:
        first = start_run(client, count_config(tmp_path / "c1", 5000, "first"), tmp_path / "run1")
        second = start_run(client, count_config(tmp_path / "c2", 5, "second"), tmp_path / "run2")
        assert second["queuedBehind"] == {"runId": first["runId"], "name": "first"}
        listed = {r["runId"]: r for r in client.result("run/list")["runs"]}
        assert listed[second["runId"]]["status"] == "created"
        assert listed[second["runId"]]["queuedBehind"]["name"] == "first"
        t0 = time.monotonic()
        assert client.result("run/cancel", {"runId": second["runId"]}) == {"cancelled": True}
        finished = client.wait_for(lambda: client.notes("run/finished", second["runId"]), 10, "removal")[0]
        assert time.monotonic() - t0 < 5, "removal waited for the first run"
        assert finished == {"runId": second["runId"], "status": "cancelled", "error": None, "removedFromQueue": True}
        assert not client.notes("run/finished", first["runId"]), "the first run goes on"
        assert json.loads((tmp_path / "run2" / "run.json").read_text())["status"] == "cancelled"
        assert not (tmp_path / "run2" / "checkpoints" / "count.pt").exists()
        client.result("run/cancel", {"runId": first["runId"]})
    finally:
        client.close()


def test_two_starts_at_once_make_one_daemon_and_a_second_daemon_leaves(state):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "wsss_engine", "daemon", "--state-dir", str(state), "start"],
            env=engine_env(NO_PLUGINS),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    infos = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert infos[0]["pid"] == infos[1]["pid"] and alive(infos[0]["pid"])
    assert sorted(i["started"] for i in infos) == [False, True]
    again = cli(state, "daemon", "run", env=NO_PLUGINS)  # started by hand beside the living one: finds it and leaves
    assert again.returncode == 0 and f"already serves {state / 'engine.sock'}" in again.stderr
    assert answers(daemon_paths(state)) and read_pid(daemon_paths(state)) == infos[0]["pid"]


def test_the_folder_and_socket_are_private_and_an_idle_daemon_exits(state):
    state.mkdir(parents=True)
    os.chmod(state, 0o755)  # an older, open folder is closed before the socket appears
    pid = start_daemon(state, idle_timeout=3, env=NO_PLUGINS)["pid"]
    client = DaemonClient(daemon_paths(state))
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "engine.sock").stat().st_mode) == 0o600
    assert client.info["protocolVersion"] == PROTOCOL_VERSION
    time.sleep(4)
    assert alive(pid), "the daemon left while a client was connected"
    client.close()
    deadline = time.monotonic() + 20
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(pid), "the idle daemon did not exit"
    assert not (state / "engine.sock").exists()


def test_runs_cli_lists_and_stops_a_queued_run(state, tmp_path):
    start_daemon(state)
    client = DaemonClient(daemon_paths(state))
    try:
        first = start_run(client, count_config(tmp_path / "c1", 5000, "first"), tmp_path / "run1")
        queued = cli(
            state,
            "runs",
            "start",
            "--config",
            str(count_config(tmp_path / "c2", 5, "cli-run")),
            "--run-dir",
            str(tmp_path / "run2"),
            "--detach",
        )
        assert queued.returncode == 0 and "queued behind first" in queued.stderr, queued.stderr
        listing = cli(state, "runs", "list")
        assert "cli-run (queued behind first)" in listing.stdout, listing.stdout
        run_id = json.loads((tmp_path / "run2" / "run.json").read_text())["id"]
        assert client.wait_for(lambda: client.notes("run/started", run_id), 10, "the CLI run at the window")
        assert cli(state, "runs", "stop", run_id).returncode == 0
        assert client.wait_for(lambda: client.notes("run/finished", run_id), 10, "removal")[0]["removedFromQueue"]
        client.result("run/cancel", {"runId": first["runId"]})
    finally:
        client.close()


def test_bad_bytes_from_one_client_leave_the_daemon_serving_the_others(state):
    start_daemon(state, env=NO_PLUGINS)
    paths = daemon_paths(state)
    other = DaemonClient(paths)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.connect(str(paths.socket))
            raw.sendall(b"Content-Length: 99999999999\r\n\r\n\xff\xfe{{{\r\n" + encode_frame([1, 2]))
            raw.settimeout(30)
            answer = FrameReader(raw.makefile("rb")).read()
            assert answer["error"]["code"] == -32700  # framing hardening holds on the socket too
        assert other.result("ping")["time"] > 0
        assert DaemonClient(paths).result("ping")["time"] > 0
    finally:
        other.close()


@pytest.mark.skipif(not hasattr(os, "setuid") or os.getuid() != 0, reason="needs root to connect as another user")
def test_a_connection_from_another_user_is_refused(state):
    """The 0700 folder keeps other users out; behind it the daemon checks the peer's uid (Linux SO_PEERCRED)."""
    start_daemon(state, env=NO_PLUGINS)
    for folder in (state.parent, state):  # open the way to the socket, as a mistake or another tool might
        os.chmod(folder, 0o711)
    os.chmod(state / "engine.sock", 0o666)
    probe = (
        "import os, socket, sys\n"
        "os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.connect(sys.argv[1])\n"
        "s.settimeout(20)\n"
        "print(len(s.recv(100)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(state / "engine.sock")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "0", done.stderr  # closed at once: 0 bytes
    assert "refused a connection from uid 65534" in (state / "daemon.log").read_text()
    assert DaemonClient(daemon_paths(state)).result("ping")["time"] > 0
