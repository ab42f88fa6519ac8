"""Checkpoints of the reference repositories mapped onto our CAM modules (METHOD §1.2, §2.3, §7.1).

The one place that knows their key layouts (learnt from the public code; nothing copied):
- IRN `res50_cam.pth` (`irn:net/resnet50_cam.py` Net: GAP + classifier) and CLIMS's trained CAM net
  (`CLIMS:net/resnet50_clims.py` CLIMS / CAM, saved from `model.module.state_dict()`). Both wrap a ResNet-50 as
  `resnet50.*` (torchvision names, no fc) and reach the same modules again through aliases: `stage1` =
  (conv1, bn1, relu, maxpool, layer1), `stage2..4` = (layerN,), the ModuleList `backbone` of the four stages,
  and `newly_added.0` = `classifier`. A state dict holds every alias, so each of our tensors appears 2-3 times;
  the copies must agree.
- A POLE checkpoint with adaptors (`WSS_POLE:step/train_clims_adapt.py`): the same, plus `Av` / `At` (also as
  `adapters.0/1`), each `fc.0` (D -> D/4), `fc.2` (D/4 -> D) and `ratio_vector`, onto our ClipAdaptors'
  `image` / `text` `fc1`, `fc2`, `ratio`. CAM inference does not use them (§2.3); they are kept as extras.
Both BatchNorm kinds (IRN's FixedBatchNorm, CLIMS's BatchNorm2d) store the same tensors, so one layout covers
both; a stage that trains from such a checkpoint sets its own BN mode.
"""

from __future__ import annotations

import re

import torch

from ..errors import ConfigInvalid

_LAYER = {"1": "layer2", "2": "layer3", "3": "layer4"}  # backbone.N / stage(N+1) -> torchvision layer name
_STAGE1 = {"0": "conv1", "1": "bn1", "4": "layer1"}  # positions in stage1 (2, 3 are relu / maxpool)

# (pattern, target builder): the first pattern that matches a key decides where the tensor goes.
_RULES = [
    (re.compile(r"^resnet50\.(conv1|bn1|layer[1-4])\.(.+)$"), lambda m: ("model", f"backbone.{m[1]}.{m[2]}")),
    (re.compile(r"^(?:stage1|backbone\.0)\.([014])\.(.+)$"), lambda m: ("model", f"backbone.{_STAGE1[m[1]]}.{m[2]}")),
    (re.compile(r"^stage([2-4])\.0\.(.+)$"), lambda m: ("model", f"backbone.layer{m[1]}.{m[2]}")),
    (re.compile(r"^backbone\.([1-3])\.0\.(.+)$"), lambda m: ("model", f"backbone.{_LAYER[m[1]]}.{m[2]}")),
    (re.compile(r"^(?:classifier|newly_added\.0)\.weight$"), lambda m: ("model", "classifier.weight")),
    (
        re.compile(r"^(?:Av|adapters\.0)\.(fc\.[02]\.weight|ratio_vector)$"),
        lambda m: ("adaptors", "image." + _ADAPT[m[1]]),
    ),
    (
        re.compile(r"^(?:At|adapters\.1)\.(fc\.[02]\.weight|ratio_vector)$"),
        lambda m: ("adaptors", "text." + _ADAPT[m[1]]),
    ),
]
_ADAPT = {"fc.0.weight": "fc1.weight", "fc.2.weight": "fc2.weight", "ratio_vector": "ratio"}


def is_reference_state(state) -> bool:
    """A bare state dict in the IRN / CLIMS / POLE layout (not one of our stage checkpoints)."""
    return isinstance(state, dict) and any(
        isinstance(k, str) and re.match(r"^(module\.)?(resnet50|stage1)\.", k) for k in state
    )


def map_reference_state(state: dict, path: str = "") -> dict:
    """Our stage-checkpoint view of a reference state dict:
    {"format", "model_meta", "model", "extras": {"adaptors": ...} (POLE only), "complete": True}."""
    grouped: dict[tuple[str, str], list[tuple[str, torch.Tensor]]] = {}
    unknown = []
    for key, tensor in state.items():
        name = key[len("module.") :] if key.startswith("module.") else key  # a DDP-wrapped save
        for pattern, target in _RULES:
            match = pattern.match(name)
            if match:
                grouped.setdefault(target(match), []).append((key, tensor))
                break
        else:
            unknown.append(key)
    if unknown:
        raise ConfigInvalid(
            f"{path}: {len(unknown)} key(s) of this checkpoint are not part of the IRN/CLIMS/POLE "
            f"ResNet-50 CAM layout: {', '.join(unknown[:10])}" + (" ..." if len(unknown) > 10 else ""),
            hint="use IRN's res50_cam.pth, a CLIMS res50_clims.pth or a POLE checkpoint (strides "
            "2,2,2,1 ResNet-50 + 1x1 classifier), or a WSSS Studio stage checkpoint",
            path=path,
        )
    parts: dict[str, dict[str, torch.Tensor]] = {"model": {}, "adaptors": {}}
    for (part, target), tensors in grouped.items():
        first_key, first = tensors[0]
        for key, other in tensors[1:]:
            if other.shape != first.shape or not torch.equal(other, first):
                raise ConfigInvalid(
                    f"{path}: {key} and {first_key} name the same weights but differ",
                    hint="the checkpoint was edited or saved from a different network",
                    path=path,
                )
        parts[part][target] = first
    if "classifier.weight" not in parts["model"]:
        raise ConfigInvalid(
            f"{path}: no classifier.weight in this checkpoint",
            path=path,
            hint="a CAM checkpoint needs the 1x1 classifier (classifier / newly_added.0)",
        )
    model_meta = {
        "arch": "cam",
        "num_classes": int(parts["model"]["classifier.weight"].shape[0]),
        "backbone": {"name": "resnet50", "pretrained": None, "fixed_bn": True, "grad_checkpointing": False},
    }
    check_complete(parts["model"], model_meta, path)
    fmt = "pole" if parts["adaptors"] else "irn/clims"
    out = {"format": fmt, "model_meta": model_meta, "model": parts["model"], "complete": True, "extras": {}}
    if parts["adaptors"]:
        out["extras"]["adaptors"] = parts["adaptors"]
    return out


def check_complete(mapped: dict, model_meta: dict, path: str) -> None:
    """Every tensor our network needs is present (a clear list instead of load_state_dict's wall of text)."""
    from .loading import build_model

    with torch.device("meta"):
        expected = build_model(model_meta).state_dict()
    missing = [k for k in expected if k not in mapped]
    if missing:
        raise ConfigInvalid(
            f"{path}: {len(missing)} weight(s) of the ResNet-50 CAM network are missing from this "
            f"checkpoint: {', '.join(missing[:10])}" + (" ..." if len(missing) > 10 else ""),
            hint="the file is truncated or from another architecture",
            path=path,
        )
