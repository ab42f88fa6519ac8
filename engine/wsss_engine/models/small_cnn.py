"""A small CAM backbone for the synthetic world (docs/DESIGN.md#the-synthetic-world): ~0.4M parameters, output stride 4.

Plain 3x3 conv + BatchNorm + ReLU blocks; one mild dilation (2) in the last stage only. The notes measured
that dilated blocks with a receptive field near the 64 px image size make blob-like baseline CAMs, so the
receptive field is kept to about half the image.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .resnet import FixedBatchNorm


def _block(cin: int, cout: int, stride: int = 1, dilation: int = 1, norm=nn.BatchNorm2d) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        norm(cout),
        nn.ReLU(inplace=True),
    )


class SmallCnnBackbone(nn.Module):
    """Features N×out_channels×H/4×W/4."""

    output_stride = 4

    def __init__(
        self,
        width: int = 32,
        out_channels: int = 128,
        fixed_bn: bool = False,
        grad_checkpointing: bool = False,
        pretrained: str | None = None,
    ):
        super().__init__()
        if pretrained:
            from ..errors import ConfigInvalid

            raise ConfigInvalid(
                "the small_cnn backbone has no pretrained weights", hint="set backbone.pretrained to null for small_cnn"
            )
        # A fixed BN with untrained running stats would be meaningless for a randomly initialised net.
        del fixed_bn
        w = width
        self.out_channels = out_channels
        self.stages = nn.ModuleList(
            [
                nn.Sequential(_block(3, w), _block(w, w)),  # stride 1
                nn.Sequential(_block(w, 2 * w, stride=2), _block(2 * w, 2 * w)),  # stride 2
                nn.Sequential(_block(2 * w, 4 * w, stride=2)),  # stride 4
                nn.Sequential(_block(4 * w, 4 * w, dilation=2), _block(4 * w, out_channels)),  # RF ~ 40 px
            ]
        )
        self.grad_checkpointing = grad_checkpointing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            if self.grad_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(stage, x, use_reentrant=False)
            else:
                x = stage(x)
        return x


__all__ = ["SmallCnnBackbone", "FixedBatchNorm"]
