"""Stage `train_segmenter`: DeepLab trained on pseudo masks (METHOD §5; deeplab-pytorch `main.py train`).

Params (schemas/run-config.schema.json `$defs/train_segmenterParams`; defaults = the CLIMS / deeplab-pytorch
VOC recipe): masks (a stage id -> <run>/masks/<id>/, or a folder), split "train" (dataset.train_list:
train_aug for VOC), arch, init + init_format (or, for deeplabv2_small, backbone_from: a CAM network's small
CNN), normalization, crop 321, scales 0.5..1.5, batch 10 as 5 x
accumulate 2, 20k iterations, SGD poly 0.9, lr 2.5e-4 (ASPP weights 10x, biases 20x without weight decay),
momentum 0.9, weight decay 5e-4. The loss is cross-entropy (ignore 255) summed over MSC's 4 outputs, labels
resized to each by nearest. The lr follows poly every iteration (the reference steps it every 10: <0.1% apart).
Checkpoints and exact resume come from training/loop.Trainer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..stage_context import StageContext
from ..data.transforms import IGNORE_INDEX
from ..data.voc import VOCDataset
from ..errors import ConfigInvalid, EngineError
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..segmentation.data import SegTrainTransform, check_mask_folder
from ..training.distributed import wrap_model
from ..training.loop import Trainer
from ..training.optim import OptimConfig, build_optimizer
from ..training.setup import collate, device_and_dist, loop_config
from . import inputs, references
from .segmenter_init import build_model, init_weights


@dataclass(frozen=True)
class TrainSegmenterParams(StageParams, stage="train_segmenter"):
    nullable = ("init",)  # init null: random init

    split: str
    arch: str
    init: str | None
    init_format: str
    normalization: str
    aspp_rates: tuple
    msc_scales: tuple
    small: tuple
    crop_size: int
    scales: tuple
    hflip: bool
    iterations: int
    batch_size: int
    accumulate: int
    lr: float
    optimizer: str
    momentum: float
    weight_decay: float
    poly_power: float
    head_lr_mult: float
    head_bias_lr_mult: float
    channels_last: bool
    num_workers: int
    log_every: int
    checkpoint_every: int
    skip_corrupt: bool
    amp: str | None = None  # None: the config's numerics preset
    stop_after: int | None = None
    masks: str | None = None  # required: from_params says what to give
    backbone_from: str | None = None  # deeplabv2_small: a CAM network whose small CNN starts the backbone

    @classmethod
    def from_params(cls, params: dict, stage_type: str | None = None) -> "TrainSegmenterParams":
        values = cls.values(params)
        if isinstance(values.get("small"), dict):
            values["small"] = tuple(sorted(values["small"].items()))
        if values.get("masks") is None:
            raise ConfigInvalid(
                "train_segmenter needs 'masks': the id of the stage that wrote the pseudo masks, "
                "or a folder of <image_id>.png",
                hint='add "masks": "pseudo_trainaug"',
            )
        return cls(**values)


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The init weights, the masks folder (unless a stage of this run writes it) and the training list
    (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    p = problems.collect(TrainSegmenterParams.from_params, params)
    if p is not None:
        problems.collect(init_weights, p, resolve_path)
    problems.collect(references.require_backbone_checkpoint, config, params, resolve_path)
    problems.collect(inputs.folder, config, params, "masks", "pseudo-mask", resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "train"))
    problems.raise_if_any()


def msc_loss(outputs: list[torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy (ignore 255) summed over the MSC outputs, labels resized to each output by nearest."""
    total = 0.0
    for logits in outputs:
        target = labels
        if logits.shape[-2:] != labels.shape[-2:]:
            target = F.interpolate(labels[:, None].float(), size=logits.shape[-2:], mode="nearest-exact")[:, 0].long()
        total = total + F.cross_entropy(logits.float(), target, ignore_index=IGNORE_INDEX)
    return total


@register_stage("train_segmenter")
def run(ctx: StageContext, params: dict) -> dict:
    p = TrainSegmenterParams.from_params(params)
    sid = references.stage_id(ctx, params)
    device, dist = device_and_dist(ctx)
    mask_dir = references.artefact_ref(ctx, params, "masks", "masks", "pseudo-mask")
    root, list_name = references.dataset_root(ctx), references.image_list(ctx, params, default="train")
    classes = references.dataset_classes(ctx)
    listing = VOCDataset(root, list_name, classes, empty_labels="keep")
    counts = check_mask_folder(
        mask_dir, listing.ids, listing.image_paths, listing.num_classes, list_name, ctx.progress, ctx.check_cancelled
    )
    model, meta = build_model(ctx, p, listing.num_classes + 1, params)
    transform = SegTrainTransform(p.crop_size, p.scales, p.hflip, meta["normalization"])
    dataset = VOCDataset(
        root,
        list_name,
        classes,
        transform=transform,
        with_mask=True,
        mask_dirs=(str(mask_dir),),
        empty_labels="keep",
        skip_corrupt=p.skip_corrupt,
        log=lambda m: ctx.log(m, level="warning"),
    )
    model = model.to(device)
    trainer_model = wrap_model(model, dist, device)

    def step_fn(batch):
        loss = msc_loss(trainer_model(batch["image"]), batch["mask"])
        if not torch.isfinite(loss):  # stop with a reason, not a NaN-filled checkpoint
            raise EngineError(
                f"train_segmenter {sid}: the loss is {float(loss.detach())}",
                hint="lower lr, check that normalization matches the init weights, or resume from "
                "the last checkpoint with amp off",
            )
        return loss, {}

    loop = loop_config(
        ctx,
        {
            **params,
            "max_steps": p.iterations,
            "batch_size": p.batch_size,
            "num_workers": p.num_workers,
            "log_every": p.log_every,
            "checkpoint_every": p.checkpoint_every,
        },
        dist,
    )
    # torchrun splits the batch across ranks; accumulate only what still divides a rank's share
    loop = dataclasses.replace(loop, accumulate=math.gcd(loop.batch_size, p.accumulate))
    optim = OptimConfig(
        optimizer=p.optimizer,
        lr=p.lr,
        weight_decay=p.weight_decay,
        momentum=p.momentum,
        momentum_quirk=False,
        schedule="poly",
        poly_power=p.poly_power,
        head_lr_mult=p.head_lr_mult,
    )
    groups = model.param_groups()
    optimizer, scheduler = build_optimizer(
        [
            {"name": "backbone", "params": groups["backbone"]},
            {"name": "head", "params": groups["head"]},
            {"name": "head_bias", "params": groups["head_bias"], "lr_mult": p.head_bias_lr_mult, "weight_decay": 0.0},
        ],
        optim,
        p.iterations,
    )
    ctx.log(
        f"train_segmenter {sid}: {len(dataset)} images of {list_name!r} with masks {mask_dir} "
        f"({counts['labelled']} with labelled pixels), {p.arch}, init {meta['init']}, normalization "
        f"{meta['normalization']}, {p.iterations} iterations of {p.batch_size} ({loop.accumulate} parts per rank)"
    )
    trainer = Trainer(
        ctx,
        sid,
        "train_segmenter",
        loop,
        dataset,
        trainer_model,
        meta,
        optimizer,
        scheduler,
        step_fn,
        dist=dist,
        collate_fn=collate,
        device=device,
    )
    summary = trainer.run()
    return {
        **summary,
        "images": len(dataset),
        "arch": p.arch,
        "init": meta["init"],
        "masks": str(mask_dir),
        "normalization": meta["normalization"],
    }


run.preflight = preflight
