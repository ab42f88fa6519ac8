"""CAM networks: a backbone plus a 1x1 bias-free classifier W (METHOD §1.2, §3.1, §9.1).

`CamNet` is the baseline (IRNet `resnet50_cam`): logits = W · GAP(Z), trained with the multilabel soft
margin loss. `ClimsNet` (clims_net.py) shares the same parameters and state-dict keys, so a CLIMS model
initialises from a baseline checkpoint with strict=True.

Contract with CAM inference (stages/infer_cams.py): every CAM model has
    model.cam_forward(x: N×3×H×W ImageNet-normalised) -> N×C×h×w float, h = ceil(H/output_stride),
which is ReLU(W·Z) — the raw, unnormalised class activation maps (METHOD §3.1, §7.11). The caller does the
flip-sum, multi-scale resizing, key selection and per-class max normalisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import build_backbone


class CamModel(nn.Module):
    """Backbone + classifier, and everything CAM inference needs. Subclasses define the training forward."""

    arch = "cam"

    def __init__(self, backbone: dict, num_classes: int):
        super().__init__()
        self.backbone_options = dict(backbone)
        options = {k: v for k, v in backbone.items() if k != "name"}
        self.backbone = build_backbone(backbone["name"], **options)
        self.num_classes = num_classes
        self.classifier = nn.Conv2d(self.backbone.out_channels, num_classes, 1, bias=False)
        self.output_stride = self.backbone.output_stride

    def meta(self) -> dict:
        """What `models.loading.build_model` needs to rebuild this network (weights come from the checkpoint)."""
        backbone = {**self.backbone_options, "pretrained": None, "grad_checkpointing": False}
        return {"arch": self.arch, "backbone": backbone, "num_classes": self.num_classes}

    def cam_forward(self, x: torch.Tensor) -> torch.Tensor:
        """ReLU(W·Z): N×C×h×w raw CAMs for inference (METHOD §3.1)."""
        return F.relu(self.classifier(self.backbone(x)))

    def param_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(backbone params, head params), trainable only: the head gets 10x lr (METHOD §1.5)."""
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        head = [p for p in self.classifier.parameters() if p.requires_grad]
        return backbone, head


class CamNet(CamModel):
    """Baseline CAM classifier: logits N×C = W · GAP(Z) (IRNet `train_cam`, METHOD §1.2, §9.1)."""

    arch = "cam"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.backbone(x)
        pooled = z.mean(dim=(2, 3), keepdim=True)
        return self.classifier(pooled).flatten(1)


def multilabel_soft_margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The baseline's only loss (IRNet `train_cam`; CLIMS#17: only the multi-label loss)."""
    return F.multilabel_soft_margin_loss(logits.float(), labels.float())
