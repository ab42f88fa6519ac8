"""CAM networks (METHOD §1.2): output stride, frozen stem, FixedBatchNorm vs trainable BN, strict CLIMS init."""

from __future__ import annotations

import pytest
import torch

from wsss_engine.models.cam_net import CamNet, multilabel_soft_margin
from wsss_engine.models.clims_net import ClimsNet
from wsss_engine.models.resnet import FixedBatchNorm, ResNet50Backbone
from wsss_engine.models.small_cnn import SmallCnnBackbone

torch.set_num_threads(1)


def test_resnet50_is_output_stride_16_with_frozen_stem():
    net = ResNet50Backbone(pretrained=None, fixed_bn=True)
    assert net(torch.randn(1, 3, 64, 96)).shape == (1, 2048, 4, 6)
    assert not any(p.requires_grad for p in net.conv1.parameters())
    assert not any(p.requires_grad for p in net.bn1.parameters())
    assert all(p.requires_grad for p in net.layer4.parameters())
    assert isinstance(net.layer2[0].bn1, FixedBatchNorm)
    assert isinstance(ResNet50Backbone(pretrained=None).layer2[0].bn1, torch.nn.BatchNorm2d)


def test_small_cnn_size_and_stride():
    net = SmallCnnBackbone()
    assert 0.3e6 < sum(p.numel() for p in net.parameters()) < 0.5e6
    assert net(torch.randn(2, 3, 64, 64)).shape == (2, net.out_channels, 16, 16)


def test_fixed_bn_never_updates_statistics_and_trainable_bn_does():
    x = torch.randn(2, 3, 32, 32) + 3
    for fixed_bn, should_change in ((True, False), (False, True)):
        net = ResNet50Backbone(pretrained=None, fixed_bn=fixed_bn).train()
        before = net.layer1[0].bn1.running_mean.clone()
        net(x)
        assert torch.equal(net.layer1[0].bn1.running_mean, before) is not should_change


def test_baseline_forward_cam_forward_and_loss():
    net = CamNet({"name": "small_cnn", "width": 8, "out_channels": 16}, 3)
    x = torch.randn(2, 3, 32, 32)
    logits = net(x)
    cams = net.cam_forward(x)
    assert logits.shape == (2, 3) and cams.shape == (2, 3, 8, 8) and (cams >= 0).all()
    # GAP then W equals the mean of W·Z (before the ReLU) — the CAM is the classifier's spatial map
    z = net.backbone(x)
    assert torch.allclose(logits, net.classifier(z).mean(dim=(2, 3)), atol=1e-5)
    loss = multilabel_soft_margin(logits, torch.tensor([[1.0, 0, 0], [0, 1, 1]]))
    assert loss.item() > 0


def test_clims_init_from_baseline_is_strict_and_sigmoid():
    base = CamNet({"name": "small_cnn", "width": 8, "out_channels": 16, "fixed_bn": True}, 3)
    clims = ClimsNet({"name": "small_cnn", "width": 8, "out_channels": 16}, 3)
    clims.load_baseline(base.state_dict())
    x = torch.randn(1, 3, 32, 32)
    base.eval(), clims.eval()
    assert torch.allclose(clims.cam_forward(x), base.cam_forward(x))
    out = clims(x)
    assert out.min() >= 0 and out.max() <= 1
    other = CamNet({"name": "small_cnn", "width": 8, "out_channels": 16}, 4)
    with pytest.raises(RuntimeError):
        clims.load_baseline(other.state_dict())


def test_gradient_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    a = ResNet50Backbone(pretrained=None, fixed_bn=True)
    b = ResNet50Backbone(pretrained=None, fixed_bn=True, grad_checkpointing=True)
    b.load_state_dict(a.state_dict())
    x = torch.randn(1, 3, 32, 32)
    a(x).sum().backward()
    b(x).sum().backward()
    assert torch.allclose(a.layer1[0].conv1.weight.grad, b.layer1[0].conv1.weight.grad, rtol=1e-4, atol=1e-6)


def test_bf16_autocast_on_cpu_trains():
    net = ClimsNet({"name": "small_cnn", "width": 8, "out_channels": 16}, 3)
    x = torch.randn(2, 3, 32, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x)
    out.float().mean().backward()
    assert out.dtype == torch.bfloat16 and torch.isfinite(net.classifier.weight.grad).all()
