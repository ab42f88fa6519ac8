"""The training step without host syncs, the tensor input pipeline in the trainer, persistent loader workers,
and the opt-in torch.compile with its fallback (issue 11)."""

from __future__ import annotations

import pytest
import torch
from test_training import baseline_stage, weights

from training_world import make_voc_root, metrics, run_pipeline, write_config
from wsss_engine.errors import ConfigInvalid
from wsss_engine.losses.clims import loss_config, reg_loss
from wsss_engine.models.adaptors import ClipAdaptors
from wsss_engine.models.clip_model import ClipScorer
from wsss_engine.training.clims_objective import ClimsObjective
from wsss_engine.training.compile import maybe_compile
from wsss_engine.stages.train_data import TrainDataParams

torch.set_num_threads(1)
SYNCING = {"nonzero", "tolist", "item", "__bool__", "cpu", "numpy", "any", "all", "__index__", "__int__", "__float__"}
TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


class SyncTrap(torch.Tensor):
    """A device tensor stand-in: reading its values on the host (what blocks on a GPU) raises."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in SYNCING:
            raise AssertionError(f"host read of a device tensor: {func.__name__}")
        return super().__torch_function__(func, types, args, kwargs or {})


def objective(reg_form: str = "all", device: str = "cpu") -> ClimsObjective:
    torch.manual_seed(0)
    clip = ClipScorer.from_model_cfg(TINY, None, (0.5,) * 3, (0.25,) * 3, torch.device(device), "fp32")
    loss = loss_config("improved", reg_form=reg_form)
    return ClimsObjective(clip, loss, list("abc"), list("abc"), adaptors=ClipAdaptors(32).to(device))


def batch():
    g = torch.Generator().manual_seed(1)
    images = torch.randn(3, 3, 32, 32, generator=g)
    cams = torch.rand(3, 3, 8, 8, generator=g, requires_grad=True)
    labels = torch.tensor([[1.0, 0, 1], [0, 1, 0], [0, 0, 1]])
    return images, cams, labels


@pytest.mark.parametrize("reg_form", ["all", "present"])
def test_pairs_and_losses_never_read_device_labels(reg_form):
    """The step reads only the loader's CPU labels; the device labels may only feed device ops."""
    images, cams, labels = batch()
    obj = objective(reg_form)
    want, _ = obj(images, cams, labels)
    got, terms = obj(images, cams, labels.as_subclass(SyncTrap), labels_cpu=labels)
    assert torch.allclose(got.as_subclass(torch.Tensor), want)
    got.backward()
    assert cams.grad is not None and torch.isfinite(cams.grad).all()
    with pytest.raises(AssertionError, match="host read"):  # the trap does fire where labels are read
        obj(images, cams, labels.as_subclass(SyncTrap), labels_cpu=None)


def test_present_regulariser_equals_the_boolean_indexed_mean():
    cams = torch.rand(3, 4, 5, 5)
    labels = torch.tensor([[1.0, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0]])
    assert torch.allclose(reg_loss(cams, labels, "present"), cams[labels > 0.5].mean())
    assert reg_loss(cams, torch.zeros(3, 4), "present") == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (scripts/device-check.sh runs it)")
def test_cuda_objective_runs_under_sync_debug_mode_error():
    obj = objective(device="cuda")
    images, cams, labels = batch()
    images, labels_dev = images.cuda(), labels.cuda()
    cams = cams.detach().cuda().requires_grad_()
    obj(images, cams, labels_dev, labels_cpu=labels)  # warms the text cache (tokenising is host work)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        loss, _ = obj(images, cams, labels_dev, labels_cpu=labels)
        loss.backward()
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_compile_falls_back_to_eager_when_the_backend_fails(monkeypatch):
    net = torch.nn.Conv2d(3, 2, 1)
    assert maybe_compile(net, False) is net

    def broken_compile(module):
        def forward(*args):
            raise RuntimeError("backend failed: no compiler")

        return forward

    monkeypatch.setattr(torch, "compile", broken_compile)
    logged = []
    forward = maybe_compile(net, True, logged.append)
    x = torch.randn(1, 3, 4, 4)
    assert torch.equal(forward(x), net(x)) and torch.equal(forward(x), net(x))
    assert len(logged) == 1 and "running eagerly" in logged[0] and "no compiler" in logged[0]


def test_tensor_pipeline_trains_like_the_reference_and_resumes_exactly_with_persistent_workers(tmp_path):
    """Same seeds, same draws: the tensor path's losses track the reference path's step by step (images within
    2/255, engine/tests/test_tensor_pipeline.py); cut and resumed with a persistent worker, the weights equal an
    uninterrupted run's bit for bit (the epoch travels with each index to the persistent worker)."""
    root = make_voc_root(tmp_path / "data", n=8)
    ref_cfg = write_config(tmp_path / "ref.json", root, None, [baseline_stage(epochs=2)])
    tensor = baseline_stage(epochs=2, input_pipeline="tensor", num_workers=1)
    cfg = write_config(tmp_path / "tensor.json", root, None, [tensor])
    assert run_pipeline(ref_cfg, tmp_path / "ref")[0] == "completed"
    assert run_pipeline(cfg, tmp_path / "full")[0] == "completed"
    ref = [m["loss"] for m in metrics(tmp_path / "ref", "baseline")]
    ours = [m["loss"] for m in metrics(tmp_path / "full", "baseline")]
    assert len(ours) == len(ref) == 4 and ours == pytest.approx(ref, rel=2e-3)
    assert run_pipeline(cfg, tmp_path / "cut", cancel_at=("baseline", 3))[0] == "cancelled"
    assert run_pipeline(cfg, tmp_path / "cut", resume=True)[0] == "completed"
    full, cut = weights(tmp_path / "full", "baseline"), weights(tmp_path / "cut", "baseline")
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key


def test_an_unknown_input_pipeline_is_refused(tmp_path):
    root = make_voc_root(tmp_path / "data", n=8)
    cfg = write_config(tmp_path / "run.json", root, None, [baseline_stage(epochs=1, input_pipeline="gpu")])
    with pytest.raises(ConfigInvalid, match="input_pipeline"):  # the schema's enum, when the run is prepared
        run_pipeline(cfg, tmp_path / "run")
    with pytest.raises(ConfigInvalid, match="unknown input_pipeline 'gpu'"):  # and the stage's own check
        TrainDataParams.from_params({"input_pipeline": "gpu"}, "baseline_cam")


def test_train_irn_on_the_tensor_pipeline_tracks_the_reference(tmp_path):
    """train_irn (METHOD §4.2) with input_pipeline "tensor": the image and its IR label take the reference's draws,
    so its losses track the reference run's step by step."""
    pytest.importorskip("pydensecrf.densecrf", reason="the engine's 'crf' extra (pydensecrf2) is not installed")
    from test_refine_chain import IRN, SMALL

    root = make_voc_root(tmp_path / "data", masks=True)
    stages = [
        {"id": "baseline", "type": "baseline_cam", **SMALL, "epochs": 1, "lr": 0.05},
        {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "num_workers": 0},
        {"id": "ir", "type": "ir_labels", "cams": "cams"},
        {**IRN, "epochs": 1, "num_workers": 0},
        {**IRN, "id": "irn_tensor", "epochs": 1, "num_workers": 1, "input_pipeline": "tensor"},
    ]
    cfg = write_config(tmp_path / "run.json", root, None, stages)
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert status == "completed", error
    ref = [m["loss"] for m in metrics(tmp_path / "run", "irn")]
    ours = [m["loss"] for m in metrics(tmp_path / "run", "irn_tensor")]
    assert len(ours) == len(ref) == 4 and ours == pytest.approx(ref, rel=2e-2)
