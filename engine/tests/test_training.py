"""Training through the real pipeline on a tiny VOC-layout world: loss goes down, resume is exact."""

from __future__ import annotations

import torch

from training_world import make_voc_root, metrics, run_pipeline, tiny_clip_checkpoint, write_config

torch.set_num_threads(1)

SMALL = {
    "backbone": {"name": "small_cnn", "width": 8, "out_channels": 32},
    "batch_size": 4,
    "log_every": 1,
    "num_workers": 0,
}


def baseline_stage(epochs=3, **extra):
    return {"id": "baseline", "type": "baseline_cam", **SMALL, "epochs": epochs, "lr": 0.05, **extra}


def clims_stage(**extra):
    return {
        "id": "clims",
        "type": "train_clims",
        "init": "baseline",
        "batch_size": 4,
        "log_every": 1,
        "epochs": 2,
        "lr": 0.01,
        "mask_mode": "raw",
        **extra,
    }


def weights(run_dir, stage):
    ckpt = torch.load(run_dir / "checkpoints" / f"{stage}.pt", map_location="cpu", weights_only=True)
    return ckpt


def test_baseline_loss_decreases(tmp_path):
    root = make_voc_root(tmp_path / "data")
    cfg = write_config(tmp_path / "run.json", root, None, [baseline_stage(epochs=4)])
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert status == "completed", error
    losses = [m["loss"] for m in metrics(tmp_path / "run", "baseline")]
    assert len(losses) == 16  # 16 images / batch 4 x 4 epochs
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4
    ckpt = weights(tmp_path / "run", "baseline")
    assert ckpt["complete"] and ckpt["model_meta"]["arch"] == "cam"
    from wsss_engine.models.loading import load_cam_model

    model = load_cam_model(tmp_path / "run" / "checkpoints" / "baseline.pt")
    cams = model.cam_forward(torch.zeros(1, 3, 32, 32))
    assert cams.shape == (1, 3, 8, 8) and (cams >= 0).all()


def test_baseline_resume_is_exact(tmp_path):
    root = make_voc_root(tmp_path / "data")
    cfg = write_config(tmp_path / "run.json", root, None, [baseline_stage(epochs=2)])
    assert run_pipeline(cfg, tmp_path / "full")[0] == "completed"
    status, _ = run_pipeline(cfg, tmp_path / "cut", cancel_at=("baseline", 3))
    assert status == "cancelled"
    assert weights(tmp_path / "cut", "baseline")["step"] == 3
    assert run_pipeline(cfg, tmp_path / "cut", resume=True)[0] == "completed"
    full, cut = weights(tmp_path / "full", "baseline"), weights(tmp_path / "cut", "baseline")
    assert full["step"] == cut["step"] == 8
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key


def test_clims_with_online_selection_and_adaptors_resumes_exactly(tmp_path):
    """Cut twice (mid-epoch, then right after an online re-selection) and resumed: every later step's losses,
    the weights, the adaptors and the selection table equal an uninterrupted run's, bit for bit. The CLIP text
    embeddings are re-encoded from an empty cache after each resume, so this also pins their independence from
    which prompts were encoded together (models/clip_model.py encode_text)."""
    root = make_voc_root(tmp_path / "data")
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    stages = [
        baseline_stage(epochs=1),
        clims_stage(epochs=3, prompt="online", online_every=2, adaptors="learnable", loss="improved"),
    ]
    cfg = write_config(tmp_path / "run.json", root, clip, stages)
    assert run_pipeline(cfg, tmp_path / "full")[0] == "completed"
    assert run_pipeline(cfg, tmp_path / "cut", cancel_at=("clims", 3))[0] == "cancelled"
    assert run_pipeline(cfg, tmp_path / "cut", resume=True, cancel_at=("clims", 7))[0] == "cancelled"
    assert run_pipeline(cfg, tmp_path / "cut", resume=True)[0] == "completed"
    full, cut = weights(tmp_path / "full", "clims"), weights(tmp_path / "cut", "clims")
    assert full["step"] == cut["step"] == 12
    full_losses = {m["step"]: (m["loss"], m["otm"], m["btm"], m["cbs"]) for m in metrics(tmp_path / "full", "clims")}
    cut_losses = {m["step"]: (m["loss"], m["otm"], m["btm"], m["cbs"]) for m in metrics(tmp_path / "cut", "clims")}
    assert len(full_losses) == 12 and cut_losses == full_losses
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key
    for key, value in full["extras"]["adaptors"].items():
        assert torch.equal(value, cut["extras"]["adaptors"][key]), key
    assert full["extra_state"]["table"] == cut["extra_state"]["table"]
    # the learnable ratio moved away from its 0.2 init, and CLIMS losses were logged
    assert not torch.allclose(full["extras"]["adaptors"]["image.ratio"], torch.full((32,), 0.2))
    logged = metrics(tmp_path / "full", "clims")
    assert {"otm", "btm", "cbs", "reg", "loss", "lr"} <= set(logged[0])


def test_clims_loss_decreases_with_gt_prompts(tmp_path):
    root = make_voc_root(tmp_path / "data")
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    stages = [baseline_stage(epochs=1), clims_stage(epochs=4, lr=0.05, loss="pole_code")]
    cfg = write_config(tmp_path / "run.json", root, clip, stages)
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert status == "completed", error
    losses = [m["loss"] for m in metrics(tmp_path / "run", "clims")]
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4


def test_resume_with_a_changed_network_fails_clearly(tmp_path):
    root = make_voc_root(tmp_path / "data", n=8)
    cfg = write_config(tmp_path / "run.json", root, None, [baseline_stage(epochs=2)])
    assert run_pipeline(cfg, tmp_path / "run", cancel_at=("baseline", 1))[0] == "cancelled"
    changed = baseline_stage(epochs=2)
    changed["backbone"] = {"name": "small_cnn", "width": 16, "out_channels": 32}
    cfg = write_config(tmp_path / "run.json", root, None, [changed])
    status, error = run_pipeline(cfg, tmp_path / "run", resume=True)
    assert status == "failed" and error["kind"] == "RunFolderError"
    assert "does not match" in error["message"] and "delete the checkpoint" in error["hint"]
