"""CLIMS network: the baseline's backbone and classifier with a per-pixel sigmoid (METHOD §1.2).

forward(x) -> sigmoid(W·Z): N×C×h×w in [0,1]; no GAP, no classification logit. BatchNorm is trainable
(CLIMS `resnet50_v2`, METHOD §7.12). Initialised from a baseline CamNet checkpoint with strict=True.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .cam_net import CamModel


class ClimsNet(CamModel):
    arch = "clims"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.classifier(self.backbone(x)))

    def load_baseline(self, checkpoint: str | Path | dict) -> None:
        """Copy all weights from a baseline checkpoint (METHOD §1.2: `strict=True`).

        FixedBatchNorm and BatchNorm2d have identical parameters and buffers, so the keys match exactly.
        """
        from .loading import read_checkpoint

        state = read_checkpoint(checkpoint)["model"] if not isinstance(checkpoint, dict) else checkpoint
        self.load_state_dict(state, strict=True)
