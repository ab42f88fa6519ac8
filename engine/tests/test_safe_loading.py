"""No code runs from a run folder or a config (issue 12 item 1): a planted pickle whose loading would create a
marker file gets a clear EngineError naming the file, and the marker never appears.

Places: a CAM file read by `synonyms/score` (real engine process), by evaluate and by select_prompts (real
pipeline), a checkpoint on `run --resume`, `infer_cams.model`, `train_clims.init`, and a CLIP checkpoint named
by a config (tiny and open_clip kinds). Our own files still load: CAMs, IRN/CLIMS-format CAMs with extra
arrays, stage checkpoints (weights_only=True) and the tiny CLIP.
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from engine_client import EngineClient
from training_world import add_masks, make_voc_root, run_pipeline, tiny_clip_checkpoint, write_config

torch.set_num_threads(1)

BASELINE = {
    "id": "baseline",
    "type": "baseline_cam",
    "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
    "batch_size": 4,
    "epochs": 1,
    "lr": 0.05,
}
CAMS = {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "num_workers": 0}


class _CreatesMarker:
    """Unpickling this calls open(marker, "w"): the side effect a hostile file would have."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def plant_npy(path: Path, marker: Path) -> Path:
    """A .npy file as np.save writes an object array, whose pickle runs open(marker) when loaded."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": ()})
    buf.write(pickle.dumps({"keys": np.array([0]), "cam": _CreatesMarker(marker)}, protocol=4))
    path.write_bytes(buf.getvalue())
    return path


def plant_pt(path: Path, marker: Path) -> Path:
    torch.save({"model": {}, "model_meta": _CreatesMarker(marker)}, path)
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("safe-loading")
    root = add_masks(make_voc_root(tmp / "data", n=6))
    clip = tiny_clip_checkpoint(tmp / "tiny_clip.pt")
    config = write_config(tmp / "config.json", root, clip, [BASELINE, CAMS])
    status, error = run_pipeline(config, tmp / "run")
    assert status == "completed", error
    return {"tmp": tmp, "root": root, "clip": clip, "run": tmp / "run"}


def copy_run(world: dict, name: str) -> Path:
    target = world["tmp"] / name
    shutil.copytree(world["run"], target, ignore=shutil.ignore_patterns(".lock"))
    return target


def run_config(world: dict, name: str, stages: list[dict], clip: Path | None = None) -> Path:
    return write_config(world["tmp"] / f"{name}.json", world["root"], clip or world["clip"], stages)


def assert_refused(error: dict, planted: Path, marker: Path, kind: str) -> None:
    assert error is not None and error["kind"] == kind, error
    assert str(planted) in error["message"] and error.get("path") == str(planted), error
    assert not marker.exists(), "the planted file ran code"


def test_our_files_and_irn_format_cams_still_load(world, tmp_path):
    from wsss_engine.data.cam_files import load_cam
    from wsss_engine.models.clip_model import ClipScorer
    from wsss_engine.models.loading import load_cam_model

    record = load_cam(next((world["run"] / "cams" / "cams").glob("*.npy")))
    assert record["cam"].dtype == np.float16 and record["keys"].dtype == np.int64
    irn = tmp_path / "irn.npy"  # IRN/CLIMS write np.save(dict) with more arrays than ours
    np.save(
        irn,
        {
            "keys": np.array([2]),
            "cam": np.ones((1, 4, 4), np.float32),
            "high_res": np.ones((1, 16, 16), np.float32),
            "extra": np.zeros(3),
        },
        allow_pickle=True,
    )
    assert sorted(load_cam(irn)) == ["cam", "extra", "high_res", "keys"]
    assert load_cam_model(world["run"] / "checkpoints" / "baseline.pt").training is False
    assert ClipScorer.from_config({"kind": "tiny", "checkpoint": str(world["clip"])}).description.startswith("tiny")


def test_cam_file_planted_for_synonyms_score(world):
    run = copy_run(world, "score-run")
    planted = plant_npy(run / "cams" / "cams" / "img_000.npy", world["tmp"] / "marker-score")
    client = EngineClient()
    try:
        response = client.request("synonyms/score", {"runDir": str(run), "imageIds": ["img_000"]}, timeout=60)
        error = response["error"]
        assert error["code"] == -32005, error
        assert_refused(
            {"kind": error["data"]["kind"], "message": error["message"], "path": error["data"].get("path")},
            planted,
            world["tmp"] / "marker-score",
            "DatasetError",
        )
        assert "result" in client.request("ping", {}, timeout=10)
    finally:
        client.close()


@pytest.mark.parametrize(
    "stage",
    [
        {"id": "eval", "type": "evaluate", "cams": "{cams}"},
        {"id": "select", "type": "select_prompts", "cams": "{cams}", "batch_size": 4},
    ],
)
def test_cam_file_planted_for_evaluate_and_select(world, stage):
    cams = world["tmp"] / f"cams-{stage['id']}"
    shutil.copytree(world["run"] / "cams" / "cams", cams)
    marker = world["tmp"] / f"marker-{stage['id']}"
    planted = plant_npy(cams / "img_003.npy", marker)
    config = run_config(world, stage["id"], [{**stage, "cams": str(cams)}])
    status, error = run_pipeline(config, world["tmp"] / f"run-{stage['id']}")
    assert status == "failed"
    assert_refused(error, planted, marker, "DatasetError")


def test_checkpoint_planted_for_resume(world):
    run, config = world["tmp"] / "resume-run", run_config(world, "resume", [{**BASELINE, "epochs": 4, "log_every": 1}])
    assert run_pipeline(config, run, cancel_at=("baseline", 1))[0] == "cancelled"
    marker = world["tmp"] / "marker-resume"
    planted = plant_pt(run / "checkpoints" / "baseline.pt", marker)
    status, error = run_pipeline(config, run, resume=True)
    assert status == "failed"
    assert_refused(error, planted, marker, "RunFolderError")
    assert "delete" in error["hint"]


@pytest.mark.parametrize(
    "stage",
    [
        {"id": "infer", "type": "infer_cams", "model": "{pt}", "split": "train", "scales": [1.0], "num_workers": 0},
        {"id": "clims", "type": "train_clims", "init": "{pt}", "batch_size": 4, "epochs": 1, "mask_mode": "raw"},
    ],
)
def test_checkpoint_planted_as_a_stage_param(world, stage):
    marker = world["tmp"] / f"marker-{stage['id']}"
    planted = plant_pt(world["tmp"] / f"planted-{stage['id']}.pt", marker)
    params = {k: (str(planted) if v == "{pt}" else v) for k, v in stage.items()}
    status, error = run_pipeline(run_config(world, stage["id"], [params]), world["tmp"] / f"run-{stage['id']}")
    assert status == "failed"
    assert_refused(error, planted, marker, "RunFolderError")


@pytest.mark.parametrize("kind", ["tiny", "open_clip"])
def test_clip_checkpoint_planted_in_a_config(world, kind):
    from wsss_engine.errors import WeightsMissing
    from wsss_engine.models.clip_model import ClipScorer

    marker = world["tmp"] / f"marker-clip-{kind}"
    planted = world["tmp"] / f"planted-clip-{kind}.pt"
    torch.save({"state_dict": _CreatesMarker(marker)}, planted)
    cfg = {"kind": kind, "checkpoint": str(planted), "model": "RN50", "pretrained": None}
    with pytest.raises(WeightsMissing) as info:
        ClipScorer.from_config(cfg)
    assert_refused(
        {"kind": info.value.kind, "message": info.value.message, "path": info.value.path},
        planted,
        marker,
        "WeightsMissing",
    )


def test_learned_prompts_file_planted_for_init_from(tmp_path):
    """A `prompt_strategy.init_from` file (another run's learned prompts) is read as plain tensors only."""
    from wsss_engine.errors import ConfigInvalid
    from wsss_engine.prompts.strategy import read_prompt_file

    marker = tmp_path / "marker-prompts"
    planted = tmp_path / "prompts.pt"
    torch.save({"format": "wsss-prompts", "state": _CreatesMarker(marker)}, planted)
    with pytest.raises(ConfigInvalid) as info:
        read_prompt_file(planted)
    assert_refused(
        {"kind": info.value.kind, "message": info.value.message, "path": info.value.path},
        planted,
        marker,
        "ConfigInvalid",
    )


def test_selection_pickle_uses_the_same_data_only_reader(tmp_path):
    from wsss_engine.errors import DatasetError
    from wsss_engine.pole.official_stats import load_selection

    marker = tmp_path / "marker"
    path = tmp_path / "selection.pkl"
    path.write_bytes(pickle.dumps({"2007_000001": _CreatesMarker(marker)}, protocol=2))
    with pytest.raises(DatasetError, match="refusing"):
        load_selection(path)
    assert not marker.exists()
    assert json.loads(json.dumps(load_selection(_write(tmp_path / "ok.pkl", {"a": {"cat": "kitty"}}))[0])) == {
        "a": {"cat": "kitty"}
    }


def _write(path: Path, obj) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=2))
    return path
