"""Run preflight (issue 12 item 7): before any stage runs, every stage checks the inputs it needs that no earlier
stage of the run makes; all problems come back together, the run fails at once and writes nothing else."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from PIL import Image

from engine_client import EngineClient
from training_world import BANK, make_voc_root, tiny_clip_checkpoint, write_config
from wsss_engine import cli
from wsss_engine.errors import ConfigInvalid, DatasetError, WeightsMissing
from wsss_engine.pipeline import prepare_run, register_stage
from wsss_engine.preflight import Problems

SMALL = {"name": "small_cnn", "width": 8, "out_channels": 16, "pretrained": None}


def pole_stages(init: str = "base") -> list[dict]:
    """The POLE pipeline: the bank and CLIP are first needed by select_prompts, after training and CAMs."""
    return [
        {"id": "base", "type": "baseline_cam", "backbone": SMALL, "epochs": 1, "batch_size": 4},
        {"id": "cams_train", "type": "infer_cams", "model": "base", "split": "train", "scales": [1.0]},
        {"id": "select", "type": "select_prompts", "cams": "cams_train"},
        {"id": "clims", "type": "train_clims", "init": init, "prompt": "selected", "epochs": 1, "batch_size": 4},
        {"id": "cams", "type": "infer_cams", "model": "clims", "scales": [1.0]},
        {"id": "eval", "type": "evaluate", "cams": "cams"},
    ]


@pytest.fixture()
def world(tmp_path):
    root = make_voc_root(tmp_path / "voc", n=8)
    (root / "SegmentationClass").mkdir()
    for image in (root / "JPEGImages").iterdir():  # evaluate needs ground-truth masks
        Image.new("L", (32, 32)).save(root / "SegmentationClass" / f"{image.stem}.png")
    clip = tiny_clip_checkpoint(tmp_path / "clip.pt")
    return root, clip


def only_config_and_run_json(run_dir):
    assert sorted(os.listdir(run_dir)) == [".lock", "config.json", "run.json"]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and all(s["status"] == "pending" for s in record["stages"])
    return record


def test_a_good_pole_config_passes_and_stage_ids_are_not_files(tmp_path, world):
    root, clip = world
    config = write_config(tmp_path / "ok.json", root, clip, pole_stages())
    started = time.perf_counter()
    run, _ = prepare_run(config, tmp_path / "run", False)
    run.close()
    assert time.perf_counter() - started < 10  # no model is built
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "created"


def test_missing_bank_and_clip_fail_together_before_training(tmp_path, world):
    root, _ = world
    config = write_config(tmp_path / "c.json", root, tmp_path / "no-clip.pt", pole_stages())
    cfg = json.loads(config.read_text())
    cfg["synonym_bank"] = str(tmp_path / "no-bank.json")
    config.write_text(json.dumps(cfg))
    with pytest.raises(ConfigInvalid) as info:
        prepare_run(config, tmp_path / "run", False)
    error = info.value
    assert error.message.startswith("2 problems with this run's inputs, found before any stage ran")
    by_file = {e["file"]: e for e in error.errors}
    assert set(by_file) == {str(tmp_path / "no-bank.json"), str(tmp_path / "no-clip.pt")}
    assert by_file[str(tmp_path / "no-clip.pt")]["kind"] == "WeightsMissing"
    assert "stages 'select', 'clims'" in by_file[str(tmp_path / "no-clip.pt")]["message"]
    assert by_file[str(tmp_path / "no-bank.json")]["path"] == "/stages/2"
    record = only_config_and_run_json(tmp_path / "run")  # no checkpoint, CAM, metrics or log
    assert record["error"]["kind"] == "ConfigInvalid" and "no-bank.json" in record["error"]["message"]


def test_a_broken_bank_is_validated_against_its_schema_and_the_classes(tmp_path, world):
    root, clip = world
    (root / "bank.json").write_text(json.dumps({**BANK, "green": []}))
    config = write_config(tmp_path / "c.json", root, clip, pole_stages())
    with pytest.raises(ConfigInvalid, match=r"stages 'select', 'clims': .*bank\.json: \$\['green'\]"):
        prepare_run(config, tmp_path / "run", False)
    (root / "bank.json").write_text(json.dumps({**BANK, "purple": ["violet"]}))
    with pytest.raises(ConfigInvalid, match=r"unknown class\(es\) \['purple'\]"):
        prepare_run(config, tmp_path / "run2", False)


def test_missing_list_labels_and_init_checkpoint_are_named(tmp_path, world):
    root, clip = world
    config = write_config(tmp_path / "c.json", root, clip, pole_stages(init=str(tmp_path / "base.pt")))
    cfg = json.loads(config.read_text())
    cfg["dataset"]["eval_list"] = "val"
    config.write_text(json.dumps(cfg))
    with pytest.raises(ConfigInvalid) as info:
        prepare_run(config, tmp_path / "run", False)
    kinds = {e["kind"]: e for e in info.value.errors}
    assert set(kinds) == {"DatasetError", "RunFolderError"}
    assert "image list 'val' not found" in kinds["DatasetError"]["message"]
    assert "stages 'cams', 'eval'" in kinds["DatasetError"]["message"]
    assert kinds["RunFolderError"]["file"] == str(tmp_path / "base.pt")

    (root / "labels.json").unlink()  # no labels.json, no XML, no masks: no image labels at all
    shutil.rmtree(root / "SegmentationClass")
    config = write_config(tmp_path / "d.json", root, clip, pole_stages()[:1])
    with pytest.raises(DatasetError) as one:
        prepare_run(config, tmp_path / "run2", False)
    assert one.value.message.startswith("stage 'base': ") and one.value.path


def test_offline_weights_that_are_not_cached_are_weights_missing(tmp_path, world, monkeypatch):
    root, _ = world
    monkeypatch.setenv("WSSS_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    stages = [{"id": "base", "type": "baseline_cam", "backbone": {"name": "resnet50"}, "epochs": 1}]
    config = write_config(tmp_path / "c.json", root, None, stages)
    with pytest.raises(WeightsMissing, match="ResNet-50 ImageNet weights: resnet50-.*cannot be reached"):
        prepare_run(config, tmp_path / "run", False)
    stages = [{"id": "select", "type": "select_prompts", "cams": str(tmp_path)}]
    config = write_config(tmp_path / "d.json", root, None, stages)
    cfg = json.loads(config.read_text())
    cfg["clip"] = {"kind": "open_clip", "model": "RN50", "pretrained": "openai"}
    config.write_text(json.dumps(cfg))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(WeightsMissing, match="CLIP weights RN50/openai"):
        prepare_run(config, tmp_path / "run2", False)


def test_resume_checks_again_and_skips_completed_stages(tmp_path, world):
    root, clip = world
    config = write_config(tmp_path / "c.json", root, clip, pole_stages()[:2])
    run, _ = prepare_run(config, tmp_path / "run", False)
    run.set_stage("base", "completed")
    run.close()
    clip.unlink()  # only later stages need it; the stages left do not
    run, _ = prepare_run(None, tmp_path / "run", True)
    run.close()
    (root / "train.txt").unlink()  # infer_cams still has to read it
    with pytest.raises(DatasetError, match="stage 'cams_train': image list 'train' not found"):
        prepare_run(None, tmp_path / "run", True)
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "failed"


def test_cli_and_rpc_report_the_problems(tmp_path, world, capsys):
    root, _ = world
    config = write_config(tmp_path / "c.json", root, tmp_path / "no-clip.pt", pole_stages())
    assert cli.main(["run", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "tiny CLIP checkpoint" in err and "no-clip.pt" in err and "hint:" in err
    only_config_and_run_json(tmp_path / "run")
    engine = EngineClient()
    try:
        error = engine.request(
            "run/start", {"configPath": str(config), "runDir": str(tmp_path / "run2"), "resume": False}, timeout=60
        )["error"]
    finally:
        engine.close()
    assert error["code"] == -32004 and error["data"]["kind"] == "WeightsMissing"
    assert error["data"]["path"] == str(tmp_path / "no-clip.pt") and "before any stage ran" in error["message"]
    only_config_and_run_json(tmp_path / "run2")


def test_plugin_stages_take_part_and_problems_aggregate(tmp_path):
    def check(config, params, resolve_path):
        problems = Problems()
        for key in ("a", "b"):
            if not resolve_path(params[key]).exists():
                problems.add(
                    DatasetError(
                        f"{key} file {resolve_path(params[key])} is missing", "make it", resolve_path(params[key])
                    )
                )
        problems.raise_if_any()

    @register_stage(
        "preflight_probe", {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    )
    def probe(ctx, params):
        raise AssertionError("a stage must not run when its inputs are missing")

    probe.preflight = check

    (tmp_path / "there.txt").write_text("x")
    config = tmp_path / "p.json"
    config.write_text(
        json.dumps(
            {
                "name": "p",
                "device": "cpu",
                "stages": [
                    {"id": "p", "type": "preflight_probe", "a": "there.txt", "b": "missing.txt"},
                    {"id": "q", "type": "preflight_probe", "a": "gone.txt", "b": "missing.txt"},
                ],
            }
        )
    )
    with pytest.raises(ConfigInvalid) as info:
        prepare_run(config, tmp_path / "run", False)
    messages = [e["message"] for e in info.value.errors]
    assert len(messages) == 2  # missing.txt once, for both stages
    assert any(m.startswith("stages 'p', 'q': b file") for m in messages)
    assert any(m.startswith("stage 'q': a file") and "(make it)" in m for m in messages)
