"""A run's own config.json is portable (issue 13, runs/portable_paths.py portable_config): a finished tiny run and
its data, bank and CLIP copied to another folder (the originals deleted) resume and score there from the copied
files; the run folder moved without its inputs fails its preflight naming the input, where it looked, and what to
do. A real pipeline run (one-epoch CAM network, CAMs, POLE's selection with a tiny CLIP), a few seconds on a CPU."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from training_world import SELECTION_STAGES, make_voc_root, run_pipeline, tiny_clip_checkpoint, write_config
from wsss_engine.errors import EngineError
from wsss_engine.rpc.synonym_scoring import RunSource
from wsss_engine.run_config import load_stored_config
from wsss_engine.runs.portable_paths import portable_config

torch.set_num_threads(1)


def mark_pending(run_dir, stage_id: str) -> None:
    """As if the run had stopped before `stage_id`: resume then runs it again from the stored config."""
    record = json.loads((run_dir / "run.json").read_text())
    for entry in record["stages"]:
        if entry["id"] == stage_id:
            entry.update(status="pending", started=None, finished=None, summary={})
    (run_dir / "run.json").write_text(json.dumps(record))
    shutil.rmtree(run_dir / "selection", ignore_errors=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    project = tmp_path_factory.mktemp("portable-config") / "project"
    root = make_voc_root(project / "data", n=6)
    (project / "configs").mkdir()
    config = write_config(
        project / "configs" / "c.json", root, tiny_clip_checkpoint(project / "clip.pt"), SELECTION_STAGES
    )
    status, error = run_pipeline(config, project / "runs" / "r1")
    assert status == "completed", error
    return project


def test_config_json_stores_project_paths_relative_to_the_run(finished):
    stored = json.loads((finished / "runs" / "r1" / "config.json").read_text())
    assert stored["dataset"]["root"] == "../../data"
    assert stored["synonym_bank"] == "../../data/bank.json"
    assert stored["clip"]["checkpoint"] == "../../clip.pt"
    assert stored["stages"][1]["model"] == "baseline"  # stage ids stay ids
    assert json.loads((finished / "runs" / "r1" / "run.json").read_text())["configBase"] == "run"


def test_portable_config_rebases_relative_paths_and_keeps_other_strings(tmp_path):
    project, run = tmp_path / "p", tmp_path / "p" / "runs" / "r"
    (project / "configs" / "sel").mkdir(parents=True)
    (project / "configs" / "sel" / "s.json").write_text("{}")
    config = {
        "stages": [{"id": "a", "selection": "sel/s.json", "model": "a", "list": "train_aug", "clip": "ViT-B/32"}],
        "dataset": {"root": str(tmp_path / "outside")},
    }
    out = portable_config(config, project / "configs", run)
    assert out["stages"][0] == {
        "id": "a",
        "selection": "../../configs/sel/s.json",
        "model": "a",
        "list": "train_aug",
        "clip": "ViT-B/32",
    }
    assert out["dataset"]["root"] == str(tmp_path / "outside")  # outside the project: absolute


def test_a_copied_project_resumes_and_scores_from_its_copied_files(finished, tmp_path):
    copy = tmp_path / "copied"
    shutil.copytree(finished, copy, ignore=shutil.ignore_patterns(".lock"))
    shutil.rmtree(finished / "data")  # the originals are gone: only the copies can be read
    (finished / "clip.pt").unlink()
    (finished / "configs" / "c.json").unlink()
    run = copy / "runs" / "r1"
    loaded = load_stored_config(run)
    assert loaded.config["dataset"]["root"] == str(copy / "data")
    assert loaded.config["synonym_bank"] == str(copy / "data" / "bank.json")
    source = RunSource(str(run))  # synonyms/score's reader of the same config.json
    assert str(source.datasets()[0].root) == str(copy / "data")
    assert source.resolve(source.config["clip"]["checkpoint"]) == copy / "clip.pt"
    mark_pending(run, "select")
    status, error = run_pipeline(None, run, resume=True)
    assert status == "completed", error
    selection = json.loads((run / "selection" / "prompt_selection.json").read_text())
    assert selection["bank"] == str(copy / "data" / "bank.json")

    alone = tmp_path / "elsewhere" / "deep" / "r1"  # the run folder moved without its inputs
    shutil.copytree(run, alone, ignore=shutil.ignore_patterns(".lock"))
    mark_pending(alone, "select")
    with pytest.raises(EngineError) as info:
        run_pipeline(None, alone, resume=True)
    looked = tmp_path / "elsewhere" / "data"
    assert str(looked) in info.value.message  # which input, where it looked
    assert "moved or copied" in info.value.hint and "relative to the run folder" in info.value.hint
