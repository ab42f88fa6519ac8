"""Backbone registry: the config's `backbone.name` -> constructor ("resnet50" | "small_cnn")."""
from __future__ import annotations

from torch import nn

from .resnet import ResNet50Backbone
from .small_cnn import SmallCnnBackbone

BACKBONES = {"resnet50": ResNet50Backbone, "small_cnn": SmallCnnBackbone}


def build_backbone(name: str, **options) -> nn.Module:
    """Build a backbone with attributes `out_channels` and `output_stride`.

    options: pretrained (weights name / path / None), fixed_bn, grad_checkpointing (+ small_cnn: width, out_channels).
    """
    if name not in BACKBONES:
        from ..errors import ConfigInvalid
        raise ConfigInvalid(f"unknown backbone {name!r}", hint=f"use one of {sorted(BACKBONES)}")
    return BACKBONES[name](**options)
