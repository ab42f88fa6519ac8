"""Stage `baseline_cam`: the GAP + multilabel-soft-margin CAM classifier (METHOD §1.2, §9.1; IRNet train_cam).

Params (defaults = the reference recipe, in schemas/run-config.schema.json `$defs/baseline_camParams`),
typed as TrainDataParams (split, crop_size, resize_long, skip_corrupt, input_pipeline), LoopConfig (epochs,
batch_size, amp, channels_last, num_workers, prefetch_factor, cudnn_benchmark, checkpointing, ...), OptimConfig
(optimizer, lr with head_lr_mult, momentum, momentum_quirk: the reference PolyOptimizer's effective momentum =
weight_decay, schedule) and `backbone` ({"name": "resnet50" | "small_cnn",
"pretrained": "IMAGENET1K_V1" | path | null, "fixed_bn", "grad_checkpointing", ...}; unset: ResNet-50).
Writes <run>/checkpoints/<id>.pt (models.loading.load_cam_model reads it); resumes from it exactly.
"""

from __future__ import annotations

from ..models.backbones import backbone_options
from ..models.cam_net import CamNet, multilabel_soft_margin
from ..stage_context import StageContext
from ..stage_registry import register_stage
from ..training.distributed import wrap_model
from ..training.loop import Trainer
from ..training.optim import OptimConfig, build_optimizer
from ..training.setup import device_and_dist, input_options, loop_config
from .train_data import TrainDataParams, train_dataset
from . import inputs, references


@register_stage("baseline_cam")
def run(ctx: StageContext, params: dict) -> dict:
    sid = references.stage_id(ctx, params)
    device, dist = device_and_dist(ctx)
    dataset = train_dataset(ctx, TrainDataParams.from_params(params, "baseline_cam"))
    backbone = backbone_options(params.get("backbone"), fixed_bn=True)  # FixedBatchNorm (METHOD §1.2)
    model = CamNet(backbone, dataset.num_classes).to(device)
    loop = loop_config(ctx, params, dist)
    optim = OptimConfig.from_params(params)
    backbone_params, head_params = model.param_groups()
    trainer_model = wrap_model(model, dist, device)

    def step_fn(batch):
        logits = trainer_model(batch["image"])
        return multilabel_soft_margin(logits, batch["label"]), {}

    max_steps = (len(dataset) // (loop.batch_size * dist.world)) * loop.epochs
    optimizer, scheduler = build_optimizer(
        [{"name": "backbone", "params": backbone_params}, {"name": "head", "params": head_params}], optim, max_steps
    )
    ctx.log(
        f"baseline_cam {sid}: {len(dataset)} images, {backbone['name']} backbone, {loop.epochs} epochs, "
        f"batch {loop.batch_size}, lr {optim.lr}, momentum {optim.effective_momentum()}, amp {loop.amp}"
    )
    trainer = Trainer(
        ctx,
        sid,
        "baseline_cam",
        loop,
        dataset,
        trainer_model,
        model.meta(),
        optimizer,
        scheduler,
        step_fn,
        dist=dist,
        device=device,
        **input_options(dataset, device, loop),
    )
    summary = trainer.run()
    return {**summary, "images": len(dataset), "backbone": backbone["name"], "classes": dataset.classes}


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The training list (root, images, labels) and the backbone's ImageNet weights (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "train"))
    problems.collect(inputs.backbone_weights, backbone_options(params.get("backbone"), fixed_bn=True))
    problems.raise_if_any()


run.preflight = preflight
