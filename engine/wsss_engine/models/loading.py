"""Rebuilding CAM models from stage checkpoints (`<run>/checkpoints/<stage-id>.pt`).

A stage checkpoint is a dict with at least `model_meta` ({"arch": "cam"|"clims", "backbone": {...},
"num_classes": C}) and `model` (state dict). `load_cam_model(path)` is what infer_cams / export_onnx call.
`read_checkpoint` also takes the reference repositories' bare state dicts (IRN res50_cam.pth, CLIMS, POLE with
adaptors) and maps them onto that shape (reference_checkpoints.py), so `init` and `model` params accept them.
Every file is loaded with weights_only=True: tensors and plain containers only, never code.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import RunFolderError
from ..safe_pickle import torch_load
from .cam_net import CamNet
from .clims_net import ClimsNet
from .reference_checkpoints import is_reference_state, map_reference_state

ARCHS = {"cam": CamNet, "clims": ClimsNet}


def build_model(meta: dict) -> nn.Module:
    return ARCHS[meta["arch"]](backbone=meta["backbone"], num_classes=meta["num_classes"])


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(
            f"checkpoint {path} does not exist",
            hint="run the training stage first, or point the param at an existing checkpoint",
            path=str(path),
        )
    ckpt = torch_load(
        path, RunFolderError, "checkpoint", "use a WSSS Studio stage checkpoint or a plain state dict (IRN/CLIMS/POLE)"
    )
    if isinstance(ckpt, dict) and "state_dict" in ckpt and "model_meta" not in ckpt:
        ckpt = ckpt["state_dict"]
    if is_reference_state(ckpt):
        return map_reference_state(ckpt, str(path))
    if not isinstance(ckpt, dict) or "model" not in ckpt or "model_meta" not in ckpt:
        raise RunFolderError(
            f"{path} is neither a WSSS Studio stage checkpoint (no model/model_meta) nor an "
            "IRN/CLIMS/POLE ResNet-50 CAM state dict",
            hint="use a checkpoint written by a baseline_cam or train_clims stage, IRN's "
            "res50_cam.pth, a CLIMS res50_clims.pth or a POLE checkpoint",
            path=str(path),
        )
    return ckpt


def load_cam_model(path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """A ready-to-infer CAM model (eval mode) with `cam_forward(x)`; see cam_net.py for the contract."""
    ckpt = read_checkpoint(path)
    if not ckpt.get("complete", True):
        raise RunFolderError(
            f"checkpoint {path} is from an unfinished training stage",
            hint="resume the run so the stage completes, then infer",
            path=str(path),
        )
    model = build_model(ckpt["model_meta"])
    model.load_state_dict(ckpt["model"], strict=True)
    return model.to(device).eval()


def checkpoint_backbone(path: str | Path) -> tuple[dict, dict]:
    """(build_backbone options with pretrained None, backbone state dict) of a CAM-network checkpoint: what IRN's
    and the small segmenter's backbone_from start from (METHOD §4.2; the synthetic world has no ImageNet weights)."""
    ckpt = read_checkpoint(path)
    state = {k[len("backbone.") :]: v for k, v in ckpt["model"].items() if k.startswith("backbone.")}
    return {**ckpt["model_meta"]["backbone"], "pretrained": None}, state
