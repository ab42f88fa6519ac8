"""ResNet-50 CAM backbone, strides (2,2,2,1) => output stride 16 (METHOD §1.2, IRNet `net/resnet50.py`).

torchvision's ResNet-50 with layer4's stride set to 1 (no dilation, as in IRNet), so a 512 crop gives a
32x32 map. Weights are torchvision-format ImageNet weights: a torchvision weights name (downloaded into the
torch hub cache when reachable) or a local .pth path; `pretrained=None` gives random init (tests/benchmarks).
conv1/bn1 are frozen in both the baseline and CLIMS (METHOD §1.2). BatchNorm is `FixedBatchNorm` for the
baseline CAM (IRNet `resnet50_cam`) and ordinary trainable BatchNorm2d for CLIMS (METHOD §1.2, §7.12).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint
from torchvision.models import get_model_weights, resnet50

from ..errors import WeightsMissing
from ..safe_pickle import torch_load
from .weights import fetch_url, local_file, locate_url


class FixedBatchNorm(nn.BatchNorm2d):
    """BatchNorm that always normalises with its running statistics and never updates them (IRNet)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, training=False, eps=self.eps
        )


RESNET_NAMES = {"resnet50": "ResNet-50", "resnet101": "ResNet-101"}


def _weights_hint(name: str, filename: str, url: str, cache: Path) -> str:
    return (
        f"Download {url} and either place {filename} in {cache} or set the backbone's "
        f"`pretrained` to the file's path; `pretrained: null` trains from random init (not for real results). "
        f"(weights name: {name})"
    )


def locate_imagenet_weights(pretrained: str, download: bool = False, arch: str = "resnet50") -> Path:
    """The file of `pretrained` (torchvision weights name like "IMAGENET1K_V1", or a .pth path) of torchvision's
    `arch` ("resnet50", "resnet101"): WeightsMissing when absent and not downloadable; `download` fetches a
    named one that is not cached yet."""
    what = f"{RESNET_NAMES.get(arch, arch)} ImageNet weights"
    if pretrained.endswith((".pth", ".pt")) or "/" in pretrained or "\\" in pretrained:
        return local_file(
            pretrained,
            what,
            hint=f"Point the weights setting at a torchvision-format {arch} .pth file, "
            f"e.g. from https://download.pytorch.org/models/.",
        )
    enum = get_model_weights(arch)
    try:
        weights = enum[pretrained]
    except KeyError:
        from ..errors import ConfigInvalid

        names = ", ".join(w.name for w in enum)
        raise ConfigInvalid(
            f"unknown {RESNET_NAMES.get(arch, arch)} weights name {pretrained!r}",
            hint=f"use one of {names}, a local .pth path, or null",
        ) from None
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    filename = weights.url.rsplit("/", 1)[-1]
    get = fetch_url if download else locate_url
    return get(weights.url, cache, what, hint=_weights_hint(pretrained, filename, weights.url, cache))


def load_imagenet_state_dict(pretrained: str, arch: str = "resnet50") -> dict:
    """Resolve `pretrained` (torchvision weights name like "IMAGENET1K_V1", or a .pth path) to the state dict
    of torchvision's `arch`."""
    path = locate_imagenet_weights(pretrained, download=True, arch=arch)
    name = RESNET_NAMES.get(arch, arch)
    state = torch_load(path, WeightsMissing, f"{name} weights", f"use a torchvision-format {arch} .pth file")
    return state.get("state_dict", state) if isinstance(state, dict) else state


class ResNet50Backbone(nn.Module):
    """Features N×2048×H/16×W/16. Parameters of conv1/bn1 have requires_grad=False (METHOD §1.2)."""

    out_channels = 2048
    output_stride = 16

    def __init__(
        self, pretrained: str | None = "IMAGENET1K_V1", fixed_bn: bool = False, grad_checkpointing: bool = False
    ):
        super().__init__()
        net = resnet50(weights=None, norm_layer=FixedBatchNorm if fixed_bn else nn.BatchNorm2d)
        # strides (2,2,2,1): layer4 keeps resolution (IRNet strides=(2,2,2,1), no dilation).
        net.layer4[0].conv2.stride = (1, 1)
        net.layer4[0].downsample[0].stride = (1, 1)
        if pretrained:
            state = {k: v for k, v in load_imagenet_state_dict(pretrained).items() if not k.startswith("fc.")}
            net.fc = nn.Identity()
            net.load_state_dict(state, strict=True)
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        for p in list(self.conv1.parameters()) + list(self.bn1.parameters()):
            p.requires_grad_(False)
        self.grad_checkpointing = grad_checkpointing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            if self.grad_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        return x
