"""experiment/start|stop|resume|status over JSON-RPC against a real engine process (rpc/experiments.py):
a bad variant is a ConfigInvalid naming it before anything runs; a started experiment reports its runs'
progress, stops politely, resumes and ends with experiment/finished "completed" and its table."""

from __future__ import annotations

import json

from engine_client import EngineClient
from test_experiments import write_experiment


def test_experiment_over_json_rpc(tmp_path):
    path = write_experiment(tmp_path)
    raw = json.loads(path.read_text())
    exp_dir = str(tmp_path / "exp")
    engine = EngineClient()
    try:
        engine.result("initialize", {})
        bad = dict(raw, variants=raw["variants"] + [{"name": "bad", "set": {"/stages/clims/epochs": "two"}}])
        (tmp_path / "bad.wsss-experiment.json").write_text(json.dumps(bad))
        error = engine.request(
            "experiment/start",
            {"experimentPath": str(tmp_path / "bad.wsss-experiment.json"), "experimentDir": exp_dir},
            timeout=120,
        )["error"]
        assert error["code"] == -32001 and "variant 'bad'" in error["message"]
        assert any(e["message"].startswith("variant 'bad'") for e in error["data"]["errors"])
        assert not (tmp_path / "exp").exists()

        started = engine.result("experiment/start", {"experimentPath": str(path), "experimentDir": exp_dir}, 120)
        assert [u["name"] for u in started["units"]][:2] == ["shared/gt-s0", "runs/gt-s0"]
        engine.wait_for(lambda: engine.notes("experiment/progress"), 120, "experiment/progress")
        assert engine.result("experiment/stop", {"experimentDir": exp_dir}) == {"stopped": True}
        end = engine.wait_for(lambda: engine.notes("experiment/finished"), 120, "experiment/finished")[0]
        assert end["status"] == "cancelled" and end["experimentDir"] == exp_dir
        assert engine.result("experiment/status", {"experimentDir": exp_dir})["status"] == "cancelled"

        engine.result("experiment/resume", {"experimentDir": exp_dir})
        done = engine.wait_for(lambda: engine.notes("experiment/finished")[1:], 300, "the resumed experiment's end")
        assert done[0]["status"] == "completed", done[0]["error"]
        status = engine.result("experiment/status", {"experimentDir": exp_dir})
        assert status["status"] == "completed" and all(u["status"] == "completed" for u in status["units"])
        assert (tmp_path / "exp" / "table.md").is_file()
        missing = engine.request("experiment/status", {"experimentDir": str(tmp_path / "nothing")})["error"]
        assert missing["data"]["kind"] == "RunNotFound"
    finally:
        engine.close()
