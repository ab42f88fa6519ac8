"""Checkpoints in the IRN / CLIMS / POLE layouts load into our CAM modules (issue 9 item 2, METHOD §1.2, §2.3).

The state dicts are built here at random weights with the real ResNet-50 layout: a torchvision ResNet-50 with
strides (2,2,2,1) wrapped the way the reference networks wrap it (`resnet50`, `stage1..4`, `backbone`,
`newly_added`, `classifier`; POLE adds `Av`, `At`, `adapters`), so every alias appears in the state dict as in
the released files. The mapped model's CAMs must equal ReLU(W·stage4(...stage1(x))) computed from those tensors.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet50

from wsss_engine.errors import ConfigInvalid
from wsss_engine.models.adaptors import ClipAdaptors
from wsss_engine.models.clims_net import ClimsNet
from wsss_engine.models.loading import load_cam_model, read_checkpoint

torch.set_num_threads(1)


class ReferenceLayout(nn.Module):
    """The module tree of irn:net/resnet50_cam.Net and CLIMS:net/resnet50_clims.CLIMS (layout only)."""

    def __init__(self, classes: int = 20, adaptors: bool = False):
        super().__init__()
        self.resnet50 = resnet50(weights=None)
        del self.resnet50.fc, self.resnet50.avgpool
        self.resnet50.layer4[0].conv2.stride = (1, 1)
        self.resnet50.layer4[0].downsample[0].stride = (1, 1)
        r = self.resnet50
        self.stage1 = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1)
        self.stage2, self.stage3, self.stage4 = (
            nn.Sequential(r.layer2),
            nn.Sequential(r.layer3),
            nn.Sequential(r.layer4),
        )
        self.classifier = nn.Conv2d(2048, classes, 1, bias=False)
        self.backbone = nn.ModuleList([self.stage1, self.stage2, self.stage3, self.stage4])
        self.newly_added = nn.ModuleList([self.classifier])
        if adaptors:  # WSS_POLE: model.Av, model.At = Adapter(512), Adapter(512); model.adapters = [Av, At]
            self.Av, self.At = self.adapter(), self.adapter()
            self.adapters = nn.ModuleList([self.Av, self.At])
        for m in self.modules():  # non-trivial BN statistics, so a BN mix-up changes the CAMs
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.1, 0.1)

    @staticmethod
    def adapter() -> nn.Module:
        a = nn.Module()
        a.fc = nn.Sequential(nn.Linear(512, 128, bias=False), nn.ReLU(), nn.Linear(128, 512, bias=False), nn.ReLU())
        a.ratio_vector = nn.Parameter(torch.rand(512))
        return a

    def cams(self, x):
        x = self.stage4(self.stage3(self.stage2(self.stage1(x))))
        return F.relu(F.conv2d(x, self.classifier.weight))


@pytest.fixture(scope="module")
def reference():
    torch.manual_seed(0)
    return ReferenceLayout(adaptors=True).eval()


def save(state: dict, tmp_path, name="res50_cam.pth"):
    path = tmp_path / name
    torch.save(state, path)
    return path


def test_irn_res50_cam_gives_the_reference_cams(reference, tmp_path):
    state = {k: v for k, v in reference.state_dict().items() if not k.startswith(("Av.", "At.", "adapters."))}
    assert {
        "resnet50.conv1.weight",
        "stage1.0.weight",
        "backbone.0.0.weight",
        "stage2.0.0.conv1.weight",
        "newly_added.0.weight",
        "classifier.weight",
    } <= set(state)
    model = load_cam_model(save(state, tmp_path))
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        ours, theirs = model.cam_forward(x), reference.cams(x)
    assert ours.shape == (1, 20, 4, 3)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    assert read_checkpoint(save(state, tmp_path))["format"] == "irn/clims"


def test_clims_ddp_save_initialises_a_clims_net(reference, tmp_path):
    state = {f"module.{k}": v for k, v in reference.state_dict().items() if not k.startswith(("A", "adapters"))}
    ckpt = read_checkpoint(save(state, tmp_path, "res50_clims.pth"))
    net = ClimsNet({**ckpt["model_meta"]["backbone"], "fixed_bn": False}, 20)
    net.load_baseline(ckpt["model"])
    net.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            net(x),
            torch.sigmoid(
                F.conv2d(
                    reference.stage4(reference.stage3(reference.stage2(reference.stage1(x)))),
                    reference.classifier.weight,
                )
            ),
            rtol=1e-5,
            atol=1e-5,
        )


def test_pole_checkpoint_keeps_its_adaptors(reference, tmp_path):
    ckpt = read_checkpoint(save(reference.state_dict(), tmp_path, "res50_pole.pth"))
    assert ckpt["format"] == "pole"
    adaptors = ClipAdaptors(512, form="code", ratio="learnable")
    adaptors.load_state_dict(ckpt["extras"]["adaptors"], strict=True)
    v = torch.randn(3, 512)
    for ours, theirs in ((adaptors.image, reference.Av), (adaptors.text, reference.At)):
        r = theirs.ratio_vector
        torch.testing.assert_close(ours(v), r * theirs.fc(v) + (1 - r) * v)  # Eq. 7-8, code form
    assert load_cam_model(tmp_path / "res50_pole.pth").num_classes == 20


def test_unknown_missing_and_inconsistent_keys_are_named(reference, tmp_path):
    state = {k: v for k, v in reference.state_dict().items() if not k.startswith(("A", "adapters"))}
    with pytest.raises(ConfigInvalid, match="resnet50.fc.weight"):
        read_checkpoint(save({**state, "resnet50.fc.weight": torch.zeros(1000, 2048)}, tmp_path))
    partial = {
        k: v for k, v in state.items() if "layer4.2.conv3" not in k and not k.startswith(("stage4", "backbone.3"))
    }
    with pytest.raises(ConfigInvalid, match=r"missing.*backbone\.layer4\.2\.conv3\.weight"):
        read_checkpoint(save(partial, tmp_path))
    edited = dict(state, **{"stage1.0.weight": state["stage1.0.weight"] + 1})
    with pytest.raises(ConfigInvalid, match="differ"):
        read_checkpoint(save(edited, tmp_path))


def test_a_run_trains_from_and_infers_with_a_reference_checkpoint(tmp_path):
    """train_clims `init` and infer_cams `model` take IRN's res50_cam.pth by path (no baseline stage)."""
    from training_world import CLASSES, make_voc_root, run_pipeline, tiny_clip_checkpoint, write_config

    torch.manual_seed(1)
    path = save(ReferenceLayout(classes=len(CLASSES)).state_dict(), tmp_path)
    root = make_voc_root(tmp_path / "data", n=8)
    stages = [
        {
            "id": "clims",
            "type": "train_clims",
            "init": str(path),
            "batch_size": 4,
            "epochs": 1,
            "stop_after": 1,
            "lr": 0.01,
            "mask_mode": "raw",
            "log_every": 1,
        },
        {"id": "cams", "type": "infer_cams", "model": str(path), "split": "train", "scales": [1.0], "num_workers": 0},
    ]
    cfg = write_config(tmp_path / "run.json", root, tiny_clip_checkpoint(tmp_path / "clip.pt"), stages)
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert status == "completed", error
    assert len(list((tmp_path / "run" / "cams" / "cams").glob("*.npy"))) == 8
    trained = read_checkpoint(tmp_path / "run" / "checkpoints" / "clims.pt")
    assert trained["model_meta"]["backbone"]["name"] == "resnet50" and trained["model_meta"]["arch"] == "clims"
