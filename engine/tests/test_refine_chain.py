"""The refinement half through the real pipeline on a tiny VOC-layout world (METHOD §4): infer_cams ->
ir_labels -> train_irn -> random_walk -> evaluate; exact resume of train_irn; bad input stops a stage at its
start naming the file, and keeps what was already written."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from training_world import make_voc_root, metrics, run_pipeline, write_config

pytest.importorskip("pydensecrf.densecrf", reason="the engine's 'crf' extra (pydensecrf2) is not installed")
torch.set_num_threads(1)

SMALL = {
    "backbone": {"name": "small_cnn", "width": 8, "out_channels": 32},
    "batch_size": 4,
    "log_every": 1,
    "num_workers": 0,
}
IRN = {
    "id": "irn",
    "type": "train_irn",
    "ir_labels": "ir",
    "backbone_from": "baseline",
    "radius": 3,
    "crop_size": 32,
    "batch_size": 4,
    "epochs": 2,
    "log_every": 1,
}


def chain_stages():
    return [
        {"id": "baseline", "type": "baseline_cam", **SMALL, "epochs": 3, "lr": 0.05},
        {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "num_workers": 0},
        {"id": "ir", "type": "ir_labels", "cams": "cams"},
        dict(IRN),
        {"id": "rw", "type": "random_walk", "cams": "cams", "irn": "irn", "split": "train", "radius": 3},
        {
            "id": "rw_dense",
            "type": "random_walk",
            "cams": "cams",
            "irn": "irn",
            "split": "train",
            "radius": 3,
            "method": "dense",
        },
        {"id": "eval_cam", "type": "evaluate", "cams": "cams"},
        {"id": "eval_rw", "type": "evaluate", "masks": "rw"},
    ]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chain")
    root = make_voc_root(tmp / "data", masks=True)
    cfg = write_config(tmp / "run.json", root, None, chain_stages())
    status, error = run_pipeline(cfg, tmp / "full")
    assert status == "completed", error
    return tmp, root, cfg


def test_chain_writes_and_scores_pseudo_masks(chain):
    tmp, root, _ = chain
    run = tmp / "full"
    ids = (root / "train.txt").read_text().split()
    for stage in ("ir", "rw"):
        files = sorted((run / "masks" / stage).glob("*.png"))
        assert [f.stem for f in files] == ids
        with Image.open(files[0]) as png:
            assert png.mode == "P" and png.size == (32, 32) and png.getpalette()[3:6] == [128, 0, 0]
    ir = np.stack([np.array(Image.open(run / "masks" / "ir" / f"{i}.png")) for i in ids])
    assert set(np.unique(ir)) <= {0, 1, 2, 3, 255} and (ir == 255).any() and (ir == 0).any()
    rw = np.stack([np.array(Image.open(run / "masks" / "rw" / f"{i}.png")) for i in ids])
    dense = np.stack([np.array(Image.open(run / "masks" / "rw_dense" / f"{i}.png")) for i in ids])
    assert set(np.unique(rw)) <= {0, 1, 2, 3} and np.mean(rw == dense) > 0.999  # sparse stage = dense stage
    report = json.loads((run / "reports" / "eval_rw.json").read_text())
    assert report["source"] == {"stage": "rw", "type": "random_walk"} and report["n_images"] == len(ids)
    assert 0 <= report["miou"] <= 1 and len(report["per_class_iou"]) == 4
    cam_report = json.loads((run / "reports" / "eval_cam.json").read_text())
    assert cam_report["source"] == {"stage": "cams", "type": "infer_cams"}
    losses = [m["loss"] for m in metrics(run, "irn")]
    assert len(losses) == 8 and min(losses[-3:]) < losses[0]  # 16 images / batch 4 x 2 epochs


def test_train_irn_resume_is_exact(chain):
    tmp, _, cfg = chain
    assert run_pipeline(cfg, tmp / "cut", cancel_at=("irn", 3))[0] == "cancelled"
    assert run_pipeline(cfg, tmp / "cut", resume=True)[0] == "completed"
    full = torch.load(tmp / "full" / "checkpoints" / "irn.pt", map_location="cpu", weights_only=False)
    cut = torch.load(tmp / "cut" / "checkpoints" / "irn.pt", map_location="cpu", weights_only=False)
    assert full["step"] == cut["step"] == 8 and full["model_meta"]["arch"] == "irn"
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key
    steps = lambda run: {m["step"]: m["loss"] for m in metrics(run, "irn")}  # noqa: E731
    assert steps(tmp / "cut") == steps(tmp / "full")
    for i in (tmp / "full" / "masks" / "rw").glob("*.png"):
        assert np.array_equal(np.array(Image.open(i)), np.array(Image.open(tmp / "cut" / "masks" / "rw" / i.name)))


def test_ir_labels_in_worker_processes_equal_the_in_process_labels(chain, tmp_path):
    src, root, _ = chain
    stages = [{"id": "ir", "type": "ir_labels", "cams": str(src / "full" / "cams" / "cams"), "num_workers": 2}]
    cfg = write_config(tmp_path / "ir.json", root, None, stages)
    assert run_pipeline(cfg, tmp_path / "ir")[0] == "completed"
    ours = sorted((tmp_path / "ir" / "masks" / "ir").glob("*.png"))
    assert len(ours) == 16
    for path in ours:
        assert np.array_equal(
            np.array(Image.open(path)), np.array(Image.open(src / "full" / "masks" / "ir" / path.name))
        )


def _failed(tmp, root, name, stages):
    cfg = write_config(tmp / f"{name}.json", root, None, stages)
    status, error = run_pipeline(cfg, tmp / name)
    assert status == "failed"
    return error


def test_bad_cams_stop_ir_labels_at_its_start_keeping_earlier_labels(chain, tmp_path):
    src, root, _ = chain
    cams = shutil.copytree(src / "full" / "cams" / "cams", tmp_path / "cams")
    stages = [{"id": "ir", "type": "ir_labels", "cams": str(cams)}]
    cfg = write_config(tmp_path / "ir.json", root, None, stages)
    assert run_pipeline(cfg, tmp_path / "ir")[0] == "completed"
    out = tmp_path / "ir" / "masks" / "ir"
    for late in sorted(out.glob("*.png"))[8:]:  # as if the stage had been interrupted half way (atomic writes)
        late.unlink()
    record = json.loads((tmp_path / "ir" / "run.json").read_text())
    record["status"] = record["stages"][0]["status"] = "cancelled"
    (tmp_path / "ir" / "run.json").write_text(json.dumps(record))
    written = sorted(p.name for p in out.glob("*.png"))
    assert len(written) == 8
    missing = cams / "img_015.npy"
    missing.unlink()
    status, error = run_pipeline(cfg, tmp_path / "ir", resume=True)
    assert status == "failed" and error["kind"] == "DatasetError" and str(missing) in error["message"]
    assert sorted(p.name for p in (tmp_path / "ir" / "masks" / "ir").glob("*.png")) == written
    from wsss_engine.data.cam_files import save_cam

    save_cam(missing, np.array([0]), np.zeros((1, 3, 3)), np.zeros((1, 20, 20)))  # CAMs of another image size
    status, error = run_pipeline(cfg, tmp_path / "ir", resume=True)
    assert status == "failed" and str(missing) in error["message"] and "20x20" in error["message"]
    assert sorted(p.name for p in (tmp_path / "ir" / "masks" / "ir").glob("*.png")) == written


def test_ir_label_folder_not_matching_the_list_stops_train_irn(chain, tmp_path):
    src, root, _ = chain
    labels = shutil.copytree(src / "full" / "masks" / "ir", tmp_path / "ir")
    (labels / "img_007.png").unlink()
    error = _failed(
        tmp_path, root, "irn", [{**IRN, "ir_labels": str(labels), "backbone_from": None, "backbone": SMALL["backbone"]}]
    )
    assert error["kind"] == "DatasetError" and str(labels / "img_007.png") in error["message"]
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(labels / "img_007.png")
    error = _failed(
        tmp_path,
        root,
        "irn2",
        [{**IRN, "ir_labels": str(labels), "backbone_from": None, "backbone": SMALL["backbone"]}],
    )
    assert str(labels / "img_007.png") in error["message"] and "8x8" in error["message"]


def test_missing_cams_stop_random_walk_at_its_start(chain, tmp_path):
    src, root, _ = chain
    cams = shutil.copytree(src / "full" / "cams" / "cams", tmp_path / "cams")
    (cams / "img_003.npy").unlink()
    error = _failed(
        tmp_path,
        root,
        "rw",
        [
            {
                "id": "rw",
                "type": "random_walk",
                "cams": str(cams),
                "radius": 3,
                "irn": str(src / "full" / "checkpoints" / "irn.pt"),
                "split": "train",
            }
        ],
    )
    assert error["kind"] == "DatasetError" and str(cams / "img_003.npy") in error["message"]
    assert not list((tmp_path / "rw" / "masks" / "rw").glob("*.png"))
