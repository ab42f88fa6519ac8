"""Stage `train_irn`: train IRN's boundary and displacement branches on IR labels (METHOD §4.2).

Params (schemas/run-config.schema.json `$defs/train_irnParams`):
  ir_labels      id of an ir_labels stage (-> masks/<id>/) or a folder of IR-label PNGs
  split          "train" (dataset.train_list, default) or a list name / path
  backbone       frozen backbone: {"name": "resnet50", "pretrained": "IMAGENET1K_V1"} (torchvision-format weights,
                 OS16) or {"name": "small_cnn", ...}
  backbone_from  null, or a baseline_cam / train_clims stage id or checkpoint whose backbone (and weights) IRN
                 uses instead (the synthetic world has no ImageNet-pretrained small CNN)
  radius 10 (path-index affinities at stride 4), crop_size 512, rescale [0.5, 1.5]
  epochs 3, batch_size 32, lr 0.1 (edge branch; displacement branch dp_lr_mult 10x), weight_decay 1e-4,
  schedule "poly", momentum_quirk true (METHOD §1.5, §7.3), amp, num_workers (default: half the CPUs, <= 8),
  prefetch_factor, input_pipeline "reference" | "tensor" (decode + augment image and IR label on the device),
  log_every, checkpoint_every, stop_after
Checkpoint: <run>/checkpoints/<stage-id>.pt (model_meta arch "irn"); exact resume through training/loop.Trainer.
Checked at the start: an IR label of the image's size for every image of the list.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from ..data.encoded import AffinityDraws, EncodedVOCDataset
from ..data.mask_files import check_mask_folder
from ..data.tensor_pipeline import check_input_pipeline
from ..data.transforms import AffinityTrainTransform
from ..data.voc import VOCDataset
from ..errors import ConfigInvalid, WeightsMissing
from ..models.backbones import backbone_options
from ..models.loading import checkpoint_backbone
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..refine.irn_loss import irn_loss
from ..refine.irn_net import build_irn
from ..refine.path_index import PathIndex
from ..training.distributed import wrap_model
from ..training.loop import Trainer
from ..training.optim import OptimConfig, build_optimizer
from ..training.setup import device_and_dist, input_options, loop_config
from . import inputs, references


@dataclass(frozen=True)
class TrainIrnParams(StageParams, stage="train_irn"):
    split: str
    backbone: dict
    radius: int
    crop_size: int
    rescale: tuple
    dp_lr_mult: float
    input_pipeline: str  # "reference" | "tensor": decode + augment on the device (data/encoded.py)
    ir_labels: str | None = None  # references.artefact_ref says what is missing
    backbone_from: str | None = None  # None: `backbone`'s ImageNet weights

    def __post_init__(self) -> None:
        check_input_pipeline(self.input_pipeline)


def backbone_spec(ctx: StageContext, p: TrainIrnParams, params: dict) -> tuple[dict, dict | None, str]:
    """(build_backbone options, backbone weights or None, description)."""
    if not p.backbone_from:
        return {**backbone_options(p.backbone, fixed_bn=True)}, None, str(p.backbone.get("pretrained"))
    path = references.checkpoint_ref(ctx, params, "backbone_from")
    options, state = checkpoint_backbone(path)
    return options, state, str(path)


def path_index(radius: int, crop_size: int, stage: str) -> PathIndex:
    """The pair/path index of a crop; ConfigInvalid when the stride-4 grid is too small for the radius."""
    index = PathIndex(radius)
    try:
        index.crop(crop_size // 4, crop_size // 4)
    except ValueError as exc:
        raise ConfigInvalid(
            f"train_irn{' ' + stage if stage else ''}: crop_size {crop_size} gives a {crop_size // 4}-cell stride-4 "
            f"grid, too small for radius {radius}",
            hint="lower 'radius' or raise 'crop_size'",
        ) from exc
    return index


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Run-start checks: crop size against the radius, the IR-label folder and the backbone checkpoint or weights
    (a path, or torchvision's cached weights)."""
    p = TrainIrnParams.from_params(params)
    path_index(p.radius, p.crop_size, "")
    references.require_external(
        config,
        params,
        "ir_labels",
        resolve_path,
        folder=True,
        what="IR-label folder",
        hint="name an ir_labels stage of this run or an existing folder of IR-label PNGs",
    )
    references.require_backbone_checkpoint(config, params, resolve_path)
    pretrained = (params.get("backbone") or {}).get("pretrained")
    if isinstance(pretrained, str) and pretrained.endswith((".pth", ".pt")):
        references.require_external(
            config,
            {"pretrained": pretrained},
            "pretrained",
            resolve_path,
            folder=False,
            what="backbone weights",
            error=WeightsMissing,
            hint="point backbone.pretrained at a torchvision-format ResNet-50 .pth file",
        )
    elif params.get("backbone_from") is None and isinstance(pretrained, str):
        # torchvision's ImageNet weights by name: cached, or reachable for the download (never downloaded here)
        inputs.backbone_weights({"name": "resnet50", **(params.get("backbone") or {})})


@register_stage("train_irn")
def run(ctx: StageContext, params: dict) -> dict:
    p = TrainIrnParams.from_params(params)
    sid = references.stage_id(ctx, params)
    label_dir = references.artefact_ref(ctx, params, "ir_labels", "masks", "ir_labels")
    root, classes = references.dataset_root(ctx), references.dataset_classes(ctx)
    list_name = references.image_list(ctx, params, default="train")
    plain = VOCDataset(root, list_name, classes, empty_labels="keep", log=lambda m: ctx.log(m, level="warning"))
    check_mask_folder(label_dir, plain.image_paths, "ir_labels")
    tensor = p.input_pipeline == "tensor"
    dataset = (EncodedVOCDataset if tensor else VOCDataset)(
        root,
        list_name,
        classes,
        transform=AffinityTrainTransform(p.rescale, p.crop_size),
        **({"draws": AffinityDraws(p.rescale, p.crop_size)} if tensor else {}),
        with_mask=True,
        mask_dirs=(str(label_dir),),
        empty_labels="keep",
        log=lambda m: ctx.log(m, level="warning"),
    )
    device, dist = device_and_dist(ctx)
    options, state, source = backbone_spec(ctx, p, params)
    model = build_irn(options, state).to(device)
    index = path_index(p.radius, p.crop_size, sid)
    trainer_model = wrap_model(model, dist, device)

    def step_fn(batch):
        edge, disp = trainer_model(batch["image"])
        # the IR label at the stride-4 grid: nearest, taking each 4x4 cell's centre (IRN: PIL nearest x0.25)
        label4 = F.interpolate(batch["mask"][:, None].float(), size=edge.shape[-2:], mode="nearest-exact")
        return irn_loss(edge, disp, label4[:, 0].long(), index)

    loop = loop_config(ctx, params)
    optim = OptimConfig.from_params(params)
    edge_params, dp_params = model.branch_parameters()
    groups = [
        {"name": "edge", "params": edge_params, "lr_mult": 1.0},
        {"name": "displacement", "params": dp_params, "lr_mult": p.dp_lr_mult},
    ]
    max_steps = (len(dataset) // (loop.batch_size * dist.world)) * loop.epochs
    optimizer, scheduler = build_optimizer(groups, optim, max_steps)
    ctx.log(
        f"train_irn {sid}: {len(dataset)} images of {list_name!r}, IR labels {label_dir}, backbone "
        f"{options['name']} from {source}, radius {p.radius}, crop {p.crop_size}"
    )
    trainer = Trainer(
        ctx,
        sid,
        "train_irn",
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
    summary.update(ir_labels=str(label_dir), backbone=options["name"], backbone_from=source, radius=p.radius)
    return summary


run.preflight = preflight
