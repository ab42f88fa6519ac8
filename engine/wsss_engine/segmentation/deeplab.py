"""Segmentation networks trained on pseudo masks (METHOD §5): DeepLabV2 (dilated ResNet-101 + ASPP), its MSC
training wrapper, a small variant for the synthetic world, and torchvision's DeepLabV3-ResNet-101.

DeepLabV2 follows deeplab-pytorch (the CLIMS `segmentation/deeplabv2` fork, METHOD §5):
- ResNet-101 with layer3 dilated 2 and layer4 dilated 4 in every block (output stride 8); BatchNorm frozen
  (`FixedBatchNorm`: running statistics, no updates, no trainable affine) as `freeze_bn()` plus get_params
  (only convolutions are optimised) do there;
- layout "caffe" (the COCO file's MSRA ResNet: stride on the 1x1 reduce conv, ceil-mode stem pool) or
  "torchvision" (stride on the 3x3 conv, floor-mode pool) so each init file runs the network it was trained in;
- ASPP: four 3x3 convs straight to class logits at rates 6/12/18/24, summed, weights N(0, 0.01), bias 0;
- MSC: the input at 1 and at the extra scales (0.5, 0.75), bilinear; training returns every scale's logits and
  their pixel-wise max (the loss is summed over all of them), evaluation returns the max only.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet101

from ..models.resnet import FixedBatchNorm
from ..models.small_cnn import SmallCnnBackbone

VOC_ASPP_RATES = (6, 12, 18, 24)
MSC_SCALES = (0.5, 0.75)
LAYOUTS = ("caffe", "torchvision")


def _frozen_bn(channels: int) -> nn.BatchNorm2d:
    bn = FixedBatchNorm(channels)
    bn.weight.requires_grad_(False)
    bn.bias.requires_grad_(False)
    return bn


class DilatedResNet101(nn.Module):
    """ResNet-101 features N×2048×H/8×W/8 with torchvision's module names (conv1, bn1, layer1..layer4)."""

    out_channels = 2048
    output_stride = 8

    def __init__(self, layout: str = "caffe"):
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        # zero_init_residual: at random weights (tests, benchmarks) a frozen-BN ResNet-101 has no normalisation
        # and its activations overflow; residual branches that start at zero keep it finite. Init files overwrite it.
        net = resnet101(
            weights=None,
            replace_stride_with_dilation=[False, True, True],
            norm_layer=_frozen_bn,
            zero_init_residual=True,
        )
        # deeplab-pytorch dilates every block of a stage alike (torchvision keeps the first block at the
        # previous stage's dilation).
        for layer, rate in ((net.layer3, 2), (net.layer4, 4)):
            for block in layer:
                block.conv2.dilation, block.conv2.padding = (rate, rate), (rate, rate)
        if layout == "caffe":
            first = net.layer2[0]
            first.conv1.stride, first.conv2.stride = (2, 2), (1, 1)
            net.maxpool.ceil_mode = True
        self.layout = layout
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class ASPP(nn.Module):
    """DeepLabV2 ASPP: parallel 3x3 atrous convs to class logits, summed."""

    def __init__(self, in_channels: int, num_classes: int, rates: Sequence[int] = VOC_ASPP_RATES):
        super().__init__()
        self.rates = tuple(int(r) for r in rates)
        self.branches = nn.ModuleList(
            nn.Conv2d(in_channels, num_classes, 3, padding=r, dilation=r, bias=True) for r in self.rates
        )
        for conv in self.branches:
            nn.init.normal_(conv.weight, mean=0.0, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum(branch(x) for branch in self.branches)


class DeepLabV2(nn.Module):
    """Backbone + ASPP -> logits at the backbone's output stride."""

    def __init__(self, backbone: nn.Module, num_classes: int, rates: Sequence[int] = VOC_ASPP_RATES):
        super().__init__()
        self.backbone = backbone
        self.aspp = ASPP(backbone.out_channels, num_classes, rates)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.aspp(self.backbone(x))

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        """METHOD §5: backbone convs 1x, ASPP weights 10x, ASPP biases 20x (frozen BN has no trainables)."""
        return {
            "backbone": [p for p in self.backbone.parameters() if p.requires_grad],
            "head": [b.weight for b in self.aspp.branches],
            "head_bias": [b.bias for b in self.aspp.branches],
        }


class TorchvisionDeepLabV3(nn.Module):
    """torchvision's deeplabv3_resnet101 (output stride 8, trainable BN), logits at the input's size."""

    def __init__(self, num_classes: int):
        super().__init__()
        from torchvision.models.segmentation import deeplabv3_resnet101

        self.net = deeplabv3_resnet101(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)["out"]

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        head = [(n, p) for n, p in self.net.classifier.named_parameters() if p.requires_grad]
        return {
            "backbone": [p for p in self.net.backbone.parameters() if p.requires_grad],
            "head": [p for n, p in head if not n.endswith("bias")],
            "head_bias": [p for n, p in head if n.endswith("bias")],
        }


class MSC(nn.Module):
    """Multi-scale inputs with pixel-wise max (deeplab-pytorch `MSC`)."""

    def __init__(self, base: nn.Module, scales: Sequence[float] = MSC_SCALES):
        super().__init__()
        self.base = base
        self.scales = tuple(float(s) for s in scales)

    def forward(self, x: torch.Tensor):
        logits = self.base(x)
        if not self.scales:  # single-scale training (msc_scales []): one output, one loss term
            return [logits] if self.training else logits
        size = logits.shape[-2:]
        pyramid = [
            self.base(F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)) for s in self.scales
        ]
        resized = [F.interpolate(p, size=size, mode="bilinear", align_corners=False) for p in pyramid]
        fused = torch.stack([logits, *resized]).max(dim=0).values
        return [logits, *pyramid, fused] if self.training else fused

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        return self.base.param_groups()


ARCHS = ("deeplabv2_resnet101", "deeplabv3_resnet101", "deeplabv2_small")


def build_segmenter(meta: dict) -> MSC:
    """The network described by `meta` (stored in the checkpoint as model_meta), at random weights.

    meta: {"arch", "num_classes", "aspp_rates", "layout", "msc_scales", "small": {width, out_channels}}.
    """
    arch, num_classes = meta["arch"], int(meta["num_classes"])
    rates = meta.get("aspp_rates") or VOC_ASPP_RATES
    if arch == "deeplabv2_resnet101":
        base = DeepLabV2(DilatedResNet101(meta.get("layout", "caffe")), num_classes, rates)
    elif arch == "deeplabv2_small":
        small = meta.get("small") or {}
        base = DeepLabV2(
            SmallCnnBackbone(width=int(small.get("width", 32)), out_channels=int(small.get("out_channels", 128))),
            num_classes,
            rates,
        )
    elif arch == "deeplabv3_resnet101":
        base = TorchvisionDeepLabV3(num_classes)
    else:
        from ..errors import ConfigInvalid

        raise ConfigInvalid(f"unknown segmenter arch {arch!r}", hint=f"use one of {', '.join(ARCHS)}")
    return MSC(base, meta.get("msc_scales", MSC_SCALES))
