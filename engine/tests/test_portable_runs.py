"""Portable run folders (issue 13): paths inside the project are stored relative (runs/portable_paths.py), so a
copied demo points at its own files; a run moved without its inputs fails its preflight with a hint saying so.
The demo's configs also export the POLE model for the hover previews. Small and torch-free except the resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from wsss_engine.errors import EngineError
from wsss_engine.run_config import load_run_config, load_stored_config
from wsss_engine.runs.portable_paths import portable_path, resolve_stored
from wsss_engine.runs.run_folder import RunFolder
from wsss_engine.synthetic.variants import Budget, write_configs


def fake_world(folder: Path, image_size: int = 64) -> Path:
    folder.mkdir(parents=True)
    (folder / "classes.json").write_text(json.dumps(["boat", "train"]))
    (folder / "world.json").write_text(json.dumps({"key": "test", "params": {"image_size": image_size}}))
    return folder


def test_portable_path_is_relative_inside_the_project_and_absolute_outside(tmp_path):
    run = tmp_path / "project" / "runs" / "r1"
    assert portable_path(tmp_path / "project" / "configs" / "a.json", run) == "../../configs/a.json"
    assert portable_path(run / "checkpoints" / "x.pt", run) == "checkpoints/x.pt"
    assert portable_path(tmp_path / "elsewhere" / "a.json", run) == str(tmp_path / "elsewhere" / "a.json")
    configs = tmp_path / "project" / "configs"  # from a config folder, inside the run's project only
    assert portable_path(tmp_path / "cache" / "w", configs, tmp_path / "project") == str(tmp_path / "cache" / "w")
    assert resolve_stored("../../configs/a.json", run) == tmp_path / "project" / "configs" / "a.json"
    assert resolve_stored("/abs/a.json", run) == Path("/abs/a.json")


def test_demo_configs_name_demo_files_relatively_and_export_the_pole_model(tmp_path):
    world, clip = fake_world(tmp_path / "cache" / "world"), tmp_path / "cache" / "clip.pt"
    out = tmp_path / "demo"
    configs = write_configs(out, 0, world, clip, Budget(refine=(), segment=()))
    pole = json.loads(configs["pole_full"].read_text())
    clims = pole["stages"][0]
    assert clims["init"] == "../baseline/checkpoints/baseline.pt"
    assert clims["selection"] == "../clims_gt/selection/prompt_selection.json"
    assert pole["dataset"]["root"] == str(world)  # the cache is outside the demo folder: absolute
    assert pole["stages"][-1] == {"id": "export", "type": "export_onnx", "model": "clims"}
    assert not any(s["type"] == "export_onnx" for s in json.loads(configs["baseline"].read_text())["stages"])
    load_run_config(configs["pole_full"], import_stages=False)  # a valid run config


def test_demo_configs_follow_the_worlds_image_size(tmp_path, monkeypatch):
    """A larger world (docs/SYNTHETIC-WORLD.md §2: refinement needs objects many stride-4 cells across) gets its
    own image size in the dataset, IRN and segmenter crops, and ASPP rates scaled to the segmenter's grid."""
    import wsss_engine.synthetic.variants as variants

    monkeypatch.setattr(variants, "crf_available", lambda: True)  # the configs only; no CRF is run
    world, clip = fake_world(tmp_path / "cache" / "world", image_size=128), tmp_path / "cache" / "clip.pt"
    configs = write_configs(tmp_path / "demo", 0, world, clip, Budget())
    stages = {s["id"]: s for s in json.loads(configs["baseline"].read_text())["stages"]}
    assert json.loads(configs["baseline"].read_text())["dataset"]["image_size"] == 128
    assert stages["irn"]["crop_size"] == 128 and stages["segmenter"]["crop_size"] == 128
    assert stages["segmenter"]["aspp_rates"] == [2, 4, 6, 8]
    small = {
        s["id"]: s
        for s in json.loads(
            write_configs(tmp_path / "d64", 0, fake_world(tmp_path / "w64"), clip, Budget())["baseline"].read_text()
        )["stages"]
    }
    assert small["segmenter"]["aspp_rates"] == [1, 2, 3, 4] and small["irn"]["crop_size"] == 64


def test_a_copied_demo_resolves_against_the_copy_and_a_run_moved_alone_says_so(tmp_path):
    world, clip = fake_world(tmp_path / "cache" / "world"), tmp_path / "cache" / "clip.pt"
    out = tmp_path / "demo"
    config = write_configs(out, 0, world, clip, Budget(refine=(), segment=()), ("baseline", "clims_gt"))["clims_gt"]
    loaded = load_run_config(config, import_stages=False)
    run = RunFolder.create(
        out / "clims_gt",
        name="c",
        synthetic=True,
        stages=loaded.config["stages"],
        config=loaded.config,
        config_path=str(config),
    )
    run.close()
    assert json.loads((out / "clims_gt" / "run.json").read_text())["configPath"] == "../configs/clims_gt.json"

    copy = tmp_path / "copied-demo"
    shutil.copytree(out, copy)
    shutil.rmtree(out)
    stored = load_stored_config(copy / "clims_gt", "../configs/clims_gt.json")
    assert stored.base_dir == copy / "clims_gt"  # config.json's paths are relative to the run folder itself
    assert stored.config["stages"][0].get("init", "../baseline/checkpoints/baseline.pt").startswith("../baseline/")

    from wsss_engine.pipeline import prepare_run

    alone = tmp_path / "elsewhere" / "deep" / "clims_gt"
    shutil.copytree(copy / "clims_gt", alone)
    with pytest.raises(EngineError) as info:
        prepare_run(None, alone, resume=True)
    assert "relative to the run folder" in info.value.hint and "moved or copied" in info.value.hint
    assert "moved or copied" not in info.value.message
    record = json.loads((alone / "run.json").read_text())
    assert record["status"] == "failed" and "moved or copied" in record["error"]["hint"]
