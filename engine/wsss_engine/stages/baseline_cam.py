"""Stage `baseline_cam`: the GAP + multilabel-soft-margin CAM classifier (METHOD §1.2, §9.1; IRNet train_cam).

Params (schemas/run-config.schema.json `$defs/baseline_camParams`; defaults = the reference recipe):
  backbone      {"name": "resnet50" | "small_cnn", "pretrained": "IMAGENET1K_V1" | path | null,
                 "fixed_bn": true, "grad_checkpointing": false, ...}
  epochs 5, batch_size 16, lr 0.1 (head 10x), weight_decay 1e-4, optimizer "sgd", momentum 0.9,
  momentum_quirk true (reference PolyOptimizer: effective momentum 1e-4), schedule "poly" | "cosine"
  amp "off" | "bf16" | "fp16" | "auto", channels_last, num_workers, prefetch_factor, input_pipeline, cudnn_benchmark,
  log_every, checkpoint_every,
  checkpoint_every_s (600: a checkpoint at least every 10 min), stop_after
  split "train" (dataset.train_list), crop_size (default dataset.image_size), resize_long [lo, hi]
Writes <run>/checkpoints/<id>.pt (models.loading.load_cam_model reads it); resumes from it exactly.
"""

from __future__ import annotations

from ..models.backbones import backbone_options
from ..models.cam_net import CamNet, multilabel_soft_margin
from ..pipeline import register_stage
from ..training.distributed import wrap_model
from ..training.loop import Trainer
from ..training.optim import OptimConfig, build_optimizer
from ..training.setup import device_and_dist, input_options, loop_config, train_dataset
from . import inputs, references


@register_stage("baseline_cam")
def run(ctx, params: dict) -> dict:
    sid = references.stage_id(ctx, params)
    device, dist = device_and_dist(ctx)
    dataset = train_dataset(ctx, params)
    backbone = backbone_options(params.get("backbone"), fixed_bn=True)  # FixedBatchNorm (METHOD §1.2)
    model = CamNet(backbone, dataset.num_classes).to(device)
    loop = loop_config(ctx, params, dist, epochs=5, batch_size=16)
    optim = OptimConfig.from_params(params, lr=0.1)
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
        **input_options(params, dataset, device, loop),
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
