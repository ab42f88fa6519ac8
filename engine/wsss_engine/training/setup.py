"""What the training stages build the same way from the config: loop settings, device/DDP, batching
(their training dataset: stages/train_data.py)."""

from __future__ import annotations

import torch

from ..data.encoded import EncodedVOCDataset, TrainBatches, collate_encoded
from ..data.voc import VOCDataset, collate_skipping_none
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


def input_options(dataset: VOCDataset, device: torch.device, loop: LoopConfig) -> dict:
    """The Trainer's collate_fn / prepare_batch for the stage's input pipeline."""
    if isinstance(dataset, EncodedVOCDataset):
        crop = dataset.draws.crop_size
        return {"collate_fn": collate_encoded, "prepare_batch": TrainBatches(dataset, crop, device, loop.channels_last)}
    return {"collate_fn": collate}


def device_and_dist(ctx) -> tuple[torch.device, DistInfo]:
    info, device = init_distributed(ctx.device)
    return device, info


collate = collate_skipping_none
