"""infer_cams -> evaluate -> export_onnx as stages of a real run (pipeline, run folder, config schema)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import torch

from shared_data import photo_ids, small_photo_root
from wsss_engine.data.cam_files import load_cam
from wsss_engine.data.voc import VOCDataset
from wsss_engine.errors import ConfigInvalid
from wsss_engine.evaluation.miou import SemSegEvaluator, cam_to_prediction
from wsss_engine.models.cam_net import CamNet
from wsss_engine.pipeline import execute_run, prepare_run

torch.set_num_threads(1)


def write_checkpoint(path):
    torch.manual_seed(0)
    model = CamNet({"name": "small_cnn", "width": 8, "out_channels": 16}, num_classes=20)
    torch.save({"model_meta": model.meta(), "model": model.state_dict(), "complete": True}, path)


def config(root, checkpoint, **evaluate):
    return {
        "name": "cam-stages",
        "device": "cpu",
        "synthetic": True,
        "dataset": {"root": str(root), "classes": "voc", "eval_list": "all", "image_size": 64},
        "stages": [
            {
                "id": "cams",
                "type": "infer_cams",
                "model": str(checkpoint),
                "split": "eval",
                "scales": [1.0, 0.5],
                "batch_size": 4,
                "num_workers": 0,
            },
            {"id": "eval", "type": "evaluate", "cams": "cams", **evaluate},
            {"id": "export", "type": "export_onnx", "model": str(checkpoint)},
        ],
    }


def test_run_writes_cams_report_and_onnx(tmp_path):
    root = small_photo_root(tmp_path / "data", photo_ids(6), long_side=48)
    write_checkpoint(tmp_path / "model.pt")
    (tmp_path / "run.json").write_text(json.dumps(config(root, tmp_path / "model.pt")))
    run, loaded = prepare_run(tmp_path / "run.json", tmp_path / "run", resume=False)
    status, error = execute_run(run, loaded, threading.Event())
    assert (status, error) == ("completed", None)
    out = tmp_path / "run"
    assert sorted(p.stem for p in (out / "cams" / "cams").glob("*.npy")) == photo_ids(6)

    report = json.loads((out / "reports" / "eval.json").read_text())
    assert report["synthetic"] is True and report["split"] == "all" and report["n_images"] == 6
    assert report["classes"][0] == "background" and len(report["classes"]) == len(report["per_class_iou"]) == 21
    assert report["threshold"] == 0.15 and len(report["sweep"]) == 15
    assert report["best"]["miou"] == max(r["miou"] for r in report["sweep"])
    # the fixed-threshold mIoU equals a per-image recomputation from the saved files
    ds = VOCDataset(root, "all", "voc", with_mask=True)
    ev = SemSegEvaluator(report["classes"])
    for image_id in ds.ids:
        rec = load_cam(out / "cams" / "cams" / f"{image_id}.npy")
        ev.process(ds.read_mask(image_id), cam_to_prediction(rec["high_res"], rec["keys"], 0.15))
    assert report["miou"] == pytest.approx(ev.evaluate()["miou"], abs=1e-12)

    meta = json.loads((out / "export" / "cam_model.json").read_text())
    assert (out / "export" / "cam_model.onnx").stat().st_size > 0
    assert meta["classes"][0] == "aeroplane" and meta["stride"] == 4 and meta["input_size"] == 64
    assert meta["verified_max_abs_diff"] is not None and meta["verified_max_abs_diff"] < 1e-4
    # the int8 preview model (models/onnx_int8.py), with its agreement measured against the fp32 export
    assert meta["preview"]["file"] == "cam_model.int8.onnx" and (out / "export" / "cam_model.int8.onnx").is_file()
    assert meta["preview"]["agreement"]["images"] >= 1 and 0 <= meta["preview"]["agreement"]["mean_iou"] <= 1
    stages = {s["id"]: s for s in json.loads((out / "run.json").read_text())["stages"]}
    assert stages["cams"]["summary"]["written"] == 6 and stages["eval"]["summary"]["n_images"] == 6


def test_unknown_stage_param_is_rejected_by_the_schema(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps(config(tmp_path, tmp_path / "m.pt", treshold=0.2)))
    with pytest.raises(ConfigInvalid) as err:
        prepare_run(tmp_path / "run.json", tmp_path / "run", resume=False)
    assert any("treshold" in p["message"] for p in err.value.errors)


def test_missing_cams_fail_naming_the_file(tmp_path):
    root = small_photo_root(tmp_path / "data", photo_ids(3), long_side=48)
    write_checkpoint(tmp_path / "model.pt")
    cfg = config(root, tmp_path / "model.pt")
    cfg["stages"][1]["split"] = "more"
    small_photo_root(root, photo_ids(4), long_side=48, lists={"more": photo_ids(4)})  # a 4th image, no CAM
    cfg["stages"] = cfg["stages"][:2]
    (tmp_path / "run.json").write_text(json.dumps(cfg))
    run, loaded = prepare_run(tmp_path / "run.json", tmp_path / "run", resume=False)
    status, error = execute_run(run, loaded, threading.Event())
    assert status == "failed" and error["kind"] == "DatasetError"
    assert f"{photo_ids(4)[3]}.npy" in error["message"] and "infer_cams" in error["hint"]


def test_evaluate_scores_predicted_masks(tmp_path):
    from shared_data import save_mask

    ids = photo_ids(4)
    root = small_photo_root(tmp_path / "data", ids, long_side=48)
    preds = tmp_path / "pseudo"
    preds.mkdir()
    ds = VOCDataset(root, "all", "voc", with_mask=True)
    expected = SemSegEvaluator(["background", *ds.classes])
    for image_id in ids:
        gt = ds.read_mask(image_id)
        pred = np.roll(gt, 3, axis=1)  # keeps some 255 pixels: they count as background
        save_mask(preds / f"{image_id}.png", pred)
        expected.process(gt, np.where(pred == 255, 0, pred))
    cfg = {
        "name": "masks",
        "device": "cpu",
        "dataset": {"root": str(root), "eval_list": "all"},
        "stages": [{"id": "eval", "type": "evaluate", "masks": str(preds)}],
    }
    (tmp_path / "run.json").write_text(json.dumps(cfg))
    run, loaded = prepare_run(tmp_path / "run.json", tmp_path / "run", resume=False)
    assert execute_run(run, loaded, threading.Event()) == ("completed", None)
    report = json.loads((tmp_path / "run" / "reports" / "eval.json").read_text())
    assert report["synthetic"] is False and report["threshold"] is None and report["sweep"] == []
    assert report["miou"] == pytest.approx(expected.evaluate()["miou"], abs=1e-12) and report["miou"] < 1
