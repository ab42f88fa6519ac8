"""What both training stages build the same way from the config: dataset, loop settings, device/DDP."""

from __future__ import annotations

import torch

from ..data.encoded import EncodedVOCDataset, TrainBatches, TrainDraws, collate_encoded
from ..data.tensor_pipeline import INPUT_PIPELINES
from ..data.transforms import TrainTransform
from ..data.voc import VOCDataset, collate_skipping_none
from ..errors import ConfigInvalid
from ..stages import references
from .distributed import DistInfo, init_distributed, per_rank_batch
from .loop import LoopConfig
from .numerics import numerics

# METHOD §1.3: the improved-CLIMS / POLE prompt names of the 20 VOC classes ("player" for person).
CLIMS_VOC_WORDS = {
    "diningtable": "dining table",
    "person": "player",
    "pottedplant": "potted plant",
    "tvmonitor": "tv monitor",
}


def input_pipeline(params: dict) -> str:
    """The stage's `input_pipeline`: "reference" (PIL/numpy in the loader, the default) or "tensor"."""
    name = params.get("input_pipeline") or "reference"
    if name not in INPUT_PIPELINES:
        raise ConfigInvalid(
            f"unknown input_pipeline {name!r}",
            hint="use reference (PIL in the loader workers) or tensor (decode and augment on the device)",
        )
    return name


def train_dataset(ctx, params: dict) -> VOCDataset:
    """The training list with METHOD §1.1 augmentation; crop = dataset.image_size unless params.crop_size.
    With input_pipeline "tensor" the items are undecoded files and their draws (data/encoded.py)."""
    crop = int(params.get("crop_size") or ctx.config.get("dataset", {}).get("image_size", 512))
    resize_long = params.get("resize_long")
    transform = (
        TrainTransform(resize_long=resize_long, crop_size=crop) if resize_long else TrainTransform.for_image_size(crop)
    )
    tensor = input_pipeline(params) == "tensor"
    kind = EncodedVOCDataset if tensor else VOCDataset
    extra = {"draws": TrainDraws(transform.resize_long, transform.crop_size, transform.hflip)} if tensor else {}
    return kind(
        references.dataset_root(ctx),
        references.image_list(ctx, params, default="train"),
        references.dataset_classes(ctx),
        transform=transform,
        **extra,
        empty_labels="skip",
        skip_corrupt=bool(params.get("skip_corrupt", False)),
        log=lambda m: ctx.log(m, level="warning"),
    )


def loop_config(ctx, params: dict, dist: DistInfo | None = None, **defaults) -> LoopConfig:
    """Loop settings: stage params over the stage's defaults over the config's numerics preset (amp). Under
    torchrun `batch_size` is per rank: the config's value split across ranks, or kept per rank (METHOD §1.1)."""
    amp = {"amp": numerics(ctx.config)["train_amp"]}
    values = {**amp, **defaults, **params}
    if dist is not None:
        values["batch_size"] = per_rank_batch(
            int(values["batch_size"]), dist.world, params.get("distributed_batch", "split")
        )
    return LoopConfig.from_params(values, seed=int(ctx.config.get("seed", 0)))


def input_options(params: dict, dataset: VOCDataset, device: torch.device, loop: LoopConfig) -> dict:
    """The Trainer's collate_fn / prepare_batch for the stage's input pipeline."""
    if isinstance(dataset, EncodedVOCDataset):
        crop = dataset.draws.crop_size
        return {"collate_fn": collate_encoded, "prepare_batch": TrainBatches(dataset, crop, device, loop.channels_last)}
    return {"collate_fn": collate}


def device_and_dist(ctx) -> tuple[torch.device, DistInfo]:
    info, device = init_distributed(ctx.device)
    return device, info


collate = collate_skipping_none
