"""How the segmenter of a train_segmenter stage starts (METHOD §5): the init file checked at run start, the
network built at its init weights (a torchvision / deeplab-pytorch file, see segmentation/init_weights.py), or,
for the synthetic world's small segmenter, a CAM network's backbone (backbone_from)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigInvalid, WeightsMissing
from ..models.loading import checkpoint_backbone
from ..segmentation.data import resolve_normalization
from ..segmentation.deeplab import ARCHS, build_segmenter
from ..segmentation.init_weights import load_init, read_init, resolve_format
from ..stage_context import StageContext
from . import references

if TYPE_CHECKING:
    from .train_segmenter import TrainSegmenterParams


def _is_path(value: str) -> bool:
    return value.endswith((".pth", ".pt")) or "/" in value or "\\" in value


def init_weights(p: TrainSegmenterParams, resolve_path) -> None:
    """The init file exists (a path), or the torchvision ResNet-101 weights are cached or downloadable (a name)."""
    if not p.init or p.arch == "deeplabv2_small":
        return
    if _is_path(p.init):
        path = Path(resolve_path(p.init))
        if not path.is_file():
            raise WeightsMissing(
                f"segmenter init weights {path} do not exist",
                hint="point init at a torchvision-format ResNet-101 .pth or deeplab-pytorch's "
                "deeplabv1_resnet101-coco.pth, or set it to null",
                path=str(path),
            )
        return
    from ..models.resnet import locate_imagenet_weights

    locate_imagenet_weights(p.init, arch="resnet101")


def cam_backbone(ctx: StageContext, p: TrainSegmenterParams, params: dict) -> tuple[dict, dict, Path]:
    """({width, out_channels}, backbone weights, path) of the CAM network named by backbone_from: the synthetic
    world's stand-in for the recipe's pretrained init (it has no ImageNet or COCO weights; IRN's backbone_from
    does the same, METHOD §4.2)."""
    if p.arch != "deeplabv2_small" or p.init:
        raise ConfigInvalid(
            f"backbone_from starts a deeplabv2_small segmenter without init (got arch {p.arch}, init {p.init!r})",
            hint="set arch to deeplabv2_small and init to null, or remove backbone_from",
        )
    path = references.checkpoint_ref(ctx, params, "backbone_from")
    backbone, state = checkpoint_backbone(path)
    if backbone.get("name") != "small_cnn":
        raise ConfigInvalid(
            f"backbone_from {path} has a {backbone.get('name')!r} backbone; the small segmenter needs a small_cnn",
            hint="name a baseline_cam / train_clims stage whose backbone is small_cnn",
            path=str(path),
        )
    return {"width": int(backbone["width"]), "out_channels": int(backbone["out_channels"])}, state, path


def build_model(ctx: StageContext, p: TrainSegmenterParams, num_classes: int, params: dict):
    """(model at its init weights, model_meta, init description)."""
    if p.arch not in ARCHS:
        raise ConfigInvalid(f"unknown segmenter arch {p.arch!r}", hint=f"use one of {', '.join(ARCHS)}")
    state, source, fmt = None, "random", None
    if p.backbone_from:
        small, weights, path = cam_backbone(ctx, p, params)
        meta = {**_meta(p, num_classes, None, path), "small": small, "init_format": "cam_backbone"}
        model = build_segmenter(meta)
        model.base.backbone.load_state_dict(weights, strict=True)
        ctx.log(f"backbone from the CAM network {path}: {len(weights)} tensors")
        return model, meta
    if p.init:
        if p.arch == "deeplabv2_small":
            raise ConfigInvalid(
                "the deeplabv2_small segmenter has no pretrained weights",
                hint="set init to null for arch deeplabv2_small",
            )
        init = str(ctx.resolve_path(p.init)) if _is_path(p.init) else p.init
        state, source = read_init(init, p.arch)
        fmt = resolve_format(state, p.init_format)
        wanted = (
            ("torchvision_deeplabv3", "torchvision")
            if p.arch == "deeplabv3_resnet101"
            else ("torchvision", "deeplab_coco")
        )
        if fmt not in wanted:
            raise ConfigInvalid(
                f"init {source} is a {fmt} file, which arch {p.arch} cannot start from",
                hint=f"use a {' or '.join(wanted)} file, or set init_format",
                path=str(source),
            )
    meta = _meta(p, num_classes, fmt, source)
    model = build_segmenter(meta)
    if state is not None:
        loaded = load_init(model.base, state, fmt, source)
        ctx.log(f"init {source} ({fmt}): {loaded['loaded']} tensors, head skipped: {len(loaded['skipped_head'])}")
    return model, meta


def _meta(p: TrainSegmenterParams, num_classes: int, fmt: str | None, source) -> dict:
    return {
        "arch": p.arch,
        "num_classes": num_classes,
        "aspp_rates": list(p.aspp_rates),
        "layout": "caffe" if fmt in (None, "deeplab_coco") else "torchvision",
        "msc_scales": list(p.msc_scales),
        "small": dict(p.small),
        "normalization": resolve_normalization(p.normalization, fmt),
        "init": str(source),
        "init_format": fmt,
    }
