"""Frozen CLIP (METHOD §1.3, §7.9): no CLIP grads, yet gradients reach the CAM head; masking modes; weights."""

from __future__ import annotations

import time

import pytest
import torch
import torch.nn.functional as F

from training_world import tiny_clip
from wsss_engine.errors import WeightsMissing
from wsss_engine.losses.clims import loss_config
from wsss_engine.models.clims_net import ClimsNet
from wsss_engine.models.masked_images import denormalize_imagenet, masked_images, positive_pairs
from wsss_engine.training.clims_objective import ClimsObjective

torch.set_num_threads(1)
CLASSES = ["red", "green", "blue"]


def batch():
    torch.manual_seed(1)
    return torch.randn(2, 3, 32, 32), torch.tensor([[1.0, 0, 1], [0, 1, 0]])


def objective(clip, **kw):
    return ClimsObjective(clip, loss_config("improved", cbs_threshold=-1.0), CLASSES, CLASSES, **kw)


def test_clip_is_frozen_and_gradients_reach_the_cam_head():
    clip = tiny_clip()
    assert not clip.model.training
    assert not any(p.requires_grad for p in clip.model.parameters())
    net = ClimsNet({"name": "small_cnn", "width": 8, "out_channels": 16}, 3)
    images, labels = batch()
    loss, terms = objective(clip, mask_mode="raw")(images, net(images), labels)
    loss.backward()
    assert all(p.grad is None for p in clip.model.parameters())
    assert net.classifier.weight.grad is not None and net.classifier.weight.grad.abs().sum() > 0
    assert set(terms) == {"otm", "btm", "cbs", "reg"} and terms["cbs"] != 0


def test_input_gradient_flows_through_the_image_tower():
    clip = tiny_clip()
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    clip.encode_image(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_text_embeddings_are_cached():
    clip = tiny_clip()
    calls = []
    tokenizer = clip.tokenizer
    clip.tokenizer = lambda texts: calls.append(list(texts)) or tokenizer(texts)
    a = clip.encode_text(["a photo of red.", "a photo of blue."])
    b = clip.encode_text(["a photo of blue.", "a photo of red.", "a photo of red."])
    # each distinct string encoded once, on its own (batch-independent embeddings: exact resume)
    assert calls == [["a photo of red."], ["a photo of blue."]]
    assert torch.equal(a[0], b[1]) and torch.equal(a[1], b[0])
    fresh = tiny_clip().encode_text(["a photo of blue."])  # same string, other cache history: same bits
    assert torch.equal(fresh[0], a[1])


def test_reference_masking_squashes_normalised_image_times_cam():
    clip = tiny_clip()
    images, labels = batch()
    cams = torch.rand(2, 3, 8, 8)
    pairs = positive_pairs(labels)
    assert pairs.tolist() == [[0, 0], [0, 2], [1, 1]]  # image-major, class-ascending (METHOD §1.3)
    fg, bg = masked_images(images, cams, pairs, clip, "reference")
    img = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=True)
    cam = F.interpolate(cams, size=(32, 32), mode="bilinear", align_corners=True)
    assert torch.allclose(fg[1], img[0] * cam[0, 2]) and torch.allclose(bg[2], img[1] * (1 - cam[1, 1]))


def test_raw_masking_fills_black_then_applies_clip_normalisation():
    clip = tiny_clip()
    images, labels = batch()
    cams = torch.zeros(2, 3, 8, 8)
    cams[:, :, :4] = 1.0  # top half on
    fg, bg = masked_images(images, cams, positive_pairs(labels), clip, "raw")
    black = clip.normalize(torch.zeros(1, 3, 1, 1))[0]  # 3×1×1: CLIP-normalised black
    assert torch.allclose(fg[0, :, -1:, :], black.expand(3, 1, 32))
    raw = denormalize_imagenet(images)
    assert torch.allclose(clip.normalize(raw[0:1])[0, :, -1], bg[0, :, -1], atol=1e-5)  # bg keeps bottom rows


def test_batched_reference_and_per_image_clip_calls_agree():
    clip = tiny_clip()
    images, labels = batch()
    cams = torch.rand(2, 3, 8, 8)
    values = [
        objective(clip, mask_mode="raw", clip_calls=c)(images, cams, labels)[0].item()
        for c in ("single", "reference", "per_image")
    ]
    assert values == pytest.approx([values[0]] * 3, rel=1e-4)


def test_missing_weights_fail_fast_with_what_to_do(tmp_path, monkeypatch):
    from wsss_engine.models.clip_model import ClipScorer
    from wsss_engine.models.resnet import ResNet50Backbone

    with pytest.raises(WeightsMissing) as err:
        ResNet50Backbone(pretrained=str(tmp_path / "resnet50-missing.pth"))
    assert "resnet50-missing.pth" in str(err.value) and err.value.hint
    monkeypatch.setenv("WSSS_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(WeightsMissing) as err:
        ResNet50Backbone(pretrained="IMAGENET1K_V1")
    assert "resnet50-" in str(err.value) and "download.pytorch.org" in err.value.hint
    start = time.perf_counter()
    with pytest.raises(WeightsMissing) as err:
        ClipScorer.from_config(
            {"kind": "open_clip", "model": "ViT-B-32", "pretrained": "openai", "cache_dir": str(tmp_path / "hf")}
        )
    assert time.perf_counter() - start < 10
    assert "ViT-B-32/openai" in str(err.value) and str(tmp_path / "hf") in str(err.value)
    assert "clip.checkpoint" in err.value.hint
    with pytest.raises(WeightsMissing):
        ClipScorer.from_config({"kind": "tiny", "checkpoint": str(tmp_path / "nope.pt")})


def test_loads_the_synthetic_worlds_tiny_clip_format(tmp_path):
    tiny = pytest.importorskip("wsss_engine.synthetic.tiny_clip")
    from wsss_engine.models.clip_model import ClipScorer
    from wsss_engine.synthetic.words import vocabulary

    tok = tiny.TinyTokenizer(vocabulary())
    cfg = tiny.model_config(len(tok.vocab), 64, tok.context_length)
    model = tiny.build_model(cfg)
    path = tmp_path / "tiny.pt"
    torch.save(
        {
            "format": "wsss-tiny-clip",
            "model_cfg": cfg,
            "state_dict": model.state_dict(),
            "mean": [0.4, 0.4, 0.4],
            "std": [0.2, 0.2, 0.2],
            "input_size": 64,
            "vocab": tok.vocab,
            "context_length": tok.context_length,
            "template": "a photo of {}.",
            "cbs_threshold": 0.61,
        },
        path,
    )
    clip = ClipScorer.from_config({"kind": "tiny", "checkpoint": str(path), "precision": "fp32"})
    assert clip.image_size == 64 and clip.meta["cbs_threshold"] == 0.61
    text = clip.encode_text(["a photo of sailboat."])
    with torch.no_grad():
        expected = model.eval().encode_text(tok(["a photo of sailboat."]))
    assert torch.allclose(text, expected, atol=1e-5)
