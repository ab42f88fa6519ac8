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


# Per-backbone defaults of the config's `backbone` object (the reference recipe for resnet50, METHOD §1.2).
DEFAULTS = {"resnet50": {"pretrained": "IMAGENET1K_V1"}, "small_cnn": {"pretrained": None}}


def backbone_options(user: dict | None, fixed_bn: bool) -> dict:
    """The full backbone spec from the user's (possibly partial) one; fixed_bn unless the user sets it."""
    user = dict(user or {})
    name = user.get("name", "resnet50")
    return {"name": name, **DEFAULTS.get(name, {}), "fixed_bn": fixed_bn, **user}
