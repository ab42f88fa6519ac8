"""Fast start-up (issue 11): commands that need no torch never import it, checked in a fresh interpreter each;
`serve` answers `initialize` without torch and sends every device in `engine/devices` once torch has loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine_client import EngineClient, engine_env
from wsss_engine.rpc.protocol import NOTIFICATIONS

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "open_clip", "torchvision", "numpy")

# Runs cli.main in a fresh interpreter and prints the heavy modules it imported, after the command's own output.
PROBE = """
import contextlib, io, json, sys
from wsss_engine.cli import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"code": code, "heavy": heavy, "out": out.getvalue()}}))
""".format(heavy=HEAVY)


def run_cli(*args: str) -> dict:
    env = engine_env({"WSSS_ENGINE_PLUGINS": ""})  # plugins may import torch; none here
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["protocol"], ["validate-config", "configs/voc-pole.wsss-run.json"]]
)
def test_commands_without_torch(args):
    result = run_cli(*args)
    assert result["code"] == 0 and result["out"]
    assert result["heavy"] == [], f"{args} imported {result['heavy']}"


def test_pole_stats_imports_no_torch(tmp_path):
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"1": {"cat": "feline"}}))
    result = run_cli("pole-stats", str(path))
    assert json.loads(result["out"])["counts"] == {"cat": {"feline": 1}}
    assert "torch" not in result["heavy"] and "open_clip" not in result["heavy"]


def test_validate_config_still_reports_every_problem_without_torch(tmp_path):
    config = json.loads((REPO / "configs/voc-pole.wsss-run.json").read_text())
    config["stages"][0]["epochs"] = -1
    config["stages"][1]["type"] = "no_such_stage"
    config["stages"][2]["bogus"] = 1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(config))
    result = run_cli("validate-config", "--json", str(path))
    assert result["code"] == 1 and result["heavy"] == []
    paths = {p["path"] for p in json.loads(result["out"])["errors"]}
    assert {"/stages/0/epochs", "/stages/1/type", "/stages/2/bogus"} <= paths


def test_validate_config_cuda_device_is_still_checked(tmp_path):
    config = json.loads((REPO / "configs/voc-pole.wsss-run.json").read_text())
    config["device"] = "cuda:7"
    path = tmp_path / "cuda.json"
    path.write_text(json.dumps(config))
    result = run_cli("validate-config", "--json", str(path))
    expected = torch.cuda.device_count() > 7
    assert (result["code"] == 0) == expected
    if not expected:
        assert json.loads(result["out"])["errors"][0]["path"] == "/device"


def test_serve_answers_initialize_before_torch_then_sends_every_device():
    client = EngineClient({"WSSS_ENGINE_PLUGINS": ""})
    try:
        result = client.result("initialize", {"clientName": "pytest"}, timeout=60)
        assert result["torchVersion"] == torch.__version__  # from the package metadata, without the import
        assert [d["kind"] for d in result["devices"]] == ["cpu"]
        note = client.wait_for(lambda: client.notes("engine/devices"), 120, "engine/devices")[0]
        assert set(note) == set(NOTIFICATIONS["engine/devices"].keys)
        assert note["torchVersion"] == torch.__version__ and note["devices"][0] == result["devices"][0]
        assert len(note["devices"]) == 1 + torch.cuda.device_count() + int(torch.backends.mps.is_available())
        assert client.result("ping")["time"] > 0
    finally:
        client.notify("exit")
        client.close()


def test_initialize_itself_imports_no_torch():
    code = (
        "import io, sys, threading\nfrom wsss_engine.rpc.server import Server\n"
        "s = Server(io.BytesIO(), io.BytesIO())\nr = s.engine.initialize({}, threading.Event())\n"
        "print(r['devices'][0]['kind'], 'torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=engine_env({"WSSS_ENGINE_PLUGINS": ""}),
        timeout=60,
    )
    assert done.stdout.split() == ["cpu", "False"], done.stderr
