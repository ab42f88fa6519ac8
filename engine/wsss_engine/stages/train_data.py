"""The training set baseline_cam and train_clims read: the config's training list with METHOD §1.1
augmentation (here, not in training/, because it reads stage params and the run's dataset section)."""

from __future__ import annotations

from ..data.transforms import TrainTransform
from ..data.voc import VOCDataset
from ..stage_context import StageContext
from . import references


def train_dataset(ctx: StageContext, params: dict) -> VOCDataset:
    """The training list with METHOD §1.1 augmentation; crop = dataset.image_size unless params.crop_size."""
    crop = int(params.get("crop_size") or ctx.config.get("dataset", {}).get("image_size", 512))
    resize_long = params.get("resize_long")
    transform = (
        TrainTransform(resize_long=resize_long, crop_size=crop) if resize_long else TrainTransform.for_image_size(crop)
    )
    return VOCDataset(
        references.dataset_root(ctx),
        references.image_list(ctx, params, default="train"),
        references.dataset_classes(ctx),
        transform=transform,
        empty_labels="skip",
        skip_corrupt=bool(params.get("skip_corrupt", False)),
        log=lambda m: ctx.log(m, level="warning"),
    )
