"""Stage `train_clims`: CLIMS training with POLE's prompt selection and adaptors (METHOD §1, §2, §9.2–9.4).

Params (TrainClimsParams, TrainDataParams, LoopConfig, OptimConfig; defaults: schemas/run-config.schema.json
`$defs/train_climsParams`):
  init          baseline_cam stage id or checkpoint path (METHOD §1.2: strict init); null = fresh `backbone`
  backbone      overrides of the network (fresh init, or e.g. {"grad_checkpointing": true}); BN is trainable
  prompt        "gt" (ground-truth word) | "selected" (offline selection, §2.2) | "online" (re-select, §9.3)
  selection     select_prompts stage id, a prompt_selection.json, or the authors' selection file (JSON
                {id: {class: word}} or the GPT_v2_4 pickle; METHOD §2.2) (unset: the run's selection file)
  online_every  re-selection period in steps for prompt "online"; online_init "gt" | "selected"
  adaptors      "none" | "fixed" (scalar r = 0.2) | "learnable" (vector r, init 0.2) (Eq. 7–8, §2.3)
  adaptor_form  "code" (trailing ReLU, the released code) | "paper";  adaptor_lr_mult
  loss          preset "improved" (10/24/1/0.2) | "pole_code" (10/25/1/0) | "camera_ready";
  weights       {"otm","btm","cbs","reg"} overrides; cbs_threshold (unset: the tiny CLIP's calibrated value,
                else the loss preset's); background_words; reg_form "all" | "present"
  mask_mode     "reference" (ImageNet-normalised squash, §1.3) | "raw" (black fill + CLIP mean/std; unset:
                raw for clip.kind "tiny", else reference)
  clip_calls    "single" (one batched CLIP call per step) | "reference" (3 calls) | "per_image"
  template      unset: the loss preset's ("a photo of {}." with the bank's ground-truth words; camera_ready:
                "a photo of {}" with the class names "person", "diningtable"..., METHOD §1.3)
  prompt_strategy  "template" | "coop" | "target" | "defo" or {kind, template, lr_mult, init_from, train}
                (METHOD §2.4, Table 1; prompts/strategy.py); learned vectors -> <run>/prompts/<stage-id>.pt
  schedule_preset "code" (15 epochs, poly: the POLE script) | "paper" (10 epochs, cosine: POLE §4.1);
                epochs / schedule given explicitly win over the preset
  batch_size (global under torchrun: split across ranks; distributed_batch "scale" keeps it per rank),
  lr (head_lr_mult x for the head), weight_decay, optimizer, momentum_quirk,
  amp (unset: the config's numerics preset), channels_last, num_workers (unset: half the CPUs, <= 8),
  prefetch_factor, input_pipeline "reference" | "tensor" (decode + augment on the device, data/encoded.py),
  compile (torch.compile of the CAM net, eager if it fails), cudnn_benchmark, log_every, checkpoint_every,
                checkpoint_every_s, stop_after
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigInvalid
from ..losses.clims import loss_config
from ..models.adaptors import ClipAdaptors
from ..models.backbones import backbone_options
from ..models.clims_net import ClimsNet
from ..models.clip_model import ClipScorer
from ..models.loading import read_checkpoint
from ..models.masked_images import positive_pairs
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..pole.selection import OnlineSelection
from ..pole.selection_sources import read_word_table
from ..pole.synonym_bank import SynonymBank
from ..prompts.preflight import check_train_clims
from ..prompts.strategy import PromptStrategy, build_prompts, save_prompts
from ..prompts.vocabulary import check_vocabulary
from ..training.clims_objective import ClimsObjective
from ..training.distributed import wrap_model
from ..training.compile import maybe_compile
from ..training.loop import Trainer
from ..training.optim import OptimConfig, build_optimizer
from ..training.setup import CLIMS_VOC_WORDS, device_and_dist, input_options, loop_config
from .train_data import TrainDataParams, train_dataset
from . import inputs, references


def load_bank(ctx: StageContext, classes) -> SynonymBank:
    path = ctx.config.get("synonym_bank")
    if path:
        bank = SynonymBank.load(ctx.resolve_path(path), classes, ctx.config.get("synonym_bank_size"))
        for warning in bank.warnings:
            ctx.log(f"synonym bank {bank.path}: {warning}", "warning")
        return bank
    words = {c: [CLIMS_VOC_WORDS.get(c, c)] for c in classes}  # METHOD §1.3 names when no bank is given
    return SynonymBank(words=words, missing=list(classes))


def selection_table(ctx: StageContext, p: "TrainClimsParams", dataset) -> tuple[dict[str, dict[str, str]], Path]:
    """The word table of prompt "selected": the run's own selection, another run's prompt_selection.json, or
    the authors' released selection (JSON or pickle; pole/selection_sources.py)."""
    ref = p.selection
    if ref and ref in references.earlier_stage_ids(ctx) or not ref:
        path = Path(ctx.run.path) / "selection" / "prompt_selection.json"
    else:
        path = Path(ctx.resolve_path(ref))
    if not path.is_file():
        raise ConfigInvalid(
            f"prompt 'selected' needs a selection file, and {path} does not exist",
            hint="add a select_prompts stage before this one, or set 'selection' to a "
            "prompt_selection.json or the authors' selected_cls_train_aug.json",
            path=str(path),
        )
    table, source = read_word_table(path, {i: dataset.labels[i] for i in dataset.ids}, dataset.classes)
    ctx.log(f"selection: {source} {path}, {len(table)} images")
    return table, path


def class_prompts(loss, params: dict, bank: SynonymBank, classes) -> tuple[list[str], str]:
    """(ground-truth word per class, template) of the OTM/BTM prompts: the loss preset's prompt form (camera-ready:
    "a photo of {}" with the class names), a stage's own `template` winning (METHOD §1.3)."""
    words = list(classes) if loss.prompt_words == "class_names" else [bank.gt_word(c) for c in classes]
    return words, TrainClimsParams.from_params(params).template or loss.prompt_template


def build_network(ctx: StageContext, p: "TrainClimsParams", num_classes: int, device) -> tuple[ClimsNet, str]:
    options = p.backbone or {}
    if p.init is None:
        backbone = {**backbone_options(options, fixed_bn=False), "fixed_bn": False}
        return ClimsNet(backbone, num_classes).to(device), "fresh"
    path = references.checkpoint_ref(ctx, {"init": p.init}, "init")
    ckpt = read_checkpoint(path)
    # Trainable BN for CLIMS (METHOD §1.2, §7.12); weights come from the checkpoint.
    backbone = {**ckpt["model_meta"]["backbone"], **options, "pretrained": None, "fixed_bn": False}
    model = ClimsNet(backbone, num_classes)
    model.load_baseline(ckpt["model"])
    return model.to(device), str(path)


# The paper and the reference script disagree (METHOD §1.5, §7.18); the script's is what produced the tables.
SCHEDULE_PRESETS = {
    "code": {"epochs": 15, "schedule": "poly"},  # POLE run_CLIMS.sh, improved CLIMS
    "paper": {"epochs": 10, "schedule": "cosine"},
}  # POLE §4.1


@dataclass(frozen=True)
class TrainClimsParams(StageParams, stage="train_clims"):
    """What train_clims reads itself (its loop and optimizer params: LoopConfig, OptimConfig; its training
    set: TrainDataParams)."""

    prompt: str
    online_every: int
    online_init: str
    adaptors: str
    adaptor_form: str
    loss: str
    clip_calls: str
    schedule_preset: str
    compile: bool  # torch.compile of the CAM net's forward (training/compile.py: eager when it fails)
    init: str | None = None  # None: a fresh `backbone`
    backbone: dict | None = None
    selection: str | None = None  # None: the run's own selection file
    weights: dict | None = None  # None: the loss preset's
    cbs_threshold: float | None = None  # None: the tiny CLIP's calibrated value, else the loss preset's
    cbs_mode: str | None = None
    background_words: tuple | None = None
    reg_form: str | None = None
    mask_mode: str | None = None  # None: "raw" for a tiny CLIP, else "reference"
    template: str | None = None  # None: the loss preset's


def schedule_preset(params: dict) -> dict:
    """The params with the schedule preset's epochs/schedule filled where the stage does not set them."""
    name = TrainClimsParams.from_params(params).schedule_preset
    if name not in SCHEDULE_PRESETS:
        raise ConfigInvalid(
            f"unknown schedule_preset {name!r}", hint="use code (15 epochs, poly) or paper (10 epochs, cosine)"
        )
    return {**SCHEDULE_PRESETS[name], **{k: v for k, v in params.items() if v is not None}}


@register_stage("train_clims")
def run(ctx: StageContext, params: dict) -> dict:
    p = TrainClimsParams.from_params(params)
    params = schedule_preset(params)
    sid = references.stage_id(ctx, params)
    device, dist = device_and_dist(ctx)
    dataset = train_dataset(ctx, TrainDataParams.from_params(params, "train_clims"))
    classes = dataset.classes
    model, init = build_network(ctx, p, len(classes), device)
    clip_cfg = ctx.config.get("clip", {})
    clip = ClipScorer.from_config(clip_cfg, device, ctx.resolve_path)
    bank = load_bank(ctx, classes)

    weights = p.weights or {}
    loss = loss_config(
        p.loss,
        otm=weights.get("otm"),
        btm=weights.get("btm"),
        cbs=weights.get("cbs"),
        reg=weights.get("reg"),
        cbs_threshold=clip.meta.get("cbs_threshold") if p.cbs_threshold is None else p.cbs_threshold,
        background_words=p.background_words,
        reg_form=p.reg_form,
        cbs_mode=p.cbs_mode,
    )
    adaptor_kind = p.adaptors
    adaptors = None
    if adaptor_kind != "none":
        adaptors = ClipAdaptors(
            clip.embed_dim,
            form=p.adaptor_form,
            ratio="learnable" if adaptor_kind == "learnable" else "fixed",
        ).to(device)
    mask_mode = p.mask_mode or ("raw" if clip_cfg.get("kind") == "tiny" else "reference")
    # The loss preset's prompt form (camera-ready: class names, no period) unless the stage or its prompt
    # strategy names a template (METHOD §1.3, §2.4).
    words, preset_template = class_prompts(loss, params, bank, classes)
    strategy = PromptStrategy.from_params(params, default_template=preset_template)
    check_vocabulary(
        clip.tokenizer,
        [strategy.template.format(w) for c in classes for w in bank.candidates(c)],
        f"synonym bank {bank.path}" if bank.path else "class names",
        clip.description,
    )
    prompts = build_prompts(ctx, strategy, clip, classes, words)
    objective = ClimsObjective(
        clip,
        loss,
        classes,
        words,
        template=strategy.template,
        mask_mode=mask_mode,
        clip_calls=p.clip_calls,
        adaptors=adaptors,
        prompts=prompts,
    )

    prompt, online, table, selection_path = p.prompt, None, None, None
    if prompt in ("selected", "online") and (prompt == "selected" or p.online_init == "selected"):
        table, selection_path = selection_table(ctx, p, dataset)
    if prompt == "online":
        online = OnlineSelection(clip, bank, classes, p.online_every, initial=table)
    elif prompt not in ("gt", "selected"):
        raise ConfigInvalid(f"unknown prompt mode {prompt!r}", hint="use gt, selected or online")

    if prompt == "selected":
        missing = [i for i in dataset.ids if i not in table]
        if missing:  # fail now, not mid-training
            raise ConfigInvalid(
                f"{len(missing)} training image(s) have no entry in the selection file "
                f"{selection_path}, e.g. {missing[:3]}",
                hint="run select_prompts on this stage's training list",
                path=str(selection_path),
            )

    def pair_words(ids, pairs):
        return [table[ids[n]].get(classes[k], bank.gt_word(classes[k])) for n, k in pairs.tolist()]

    trainer_model = wrap_model(model, dist, device)

    forward = maybe_compile(trainer_model, p.compile, ctx.log)

    def step_fn(batch):
        cams = forward(batch["image"])
        if prompt == "selected":
            words = pair_words(batch["id"], positive_pairs(batch["label_cpu"]))
        elif online is not None:
            words = lambda pairs, fg: online.words(batch["id"], pairs, fg)  # noqa: E731
        else:
            words = None
        total, terms = objective(batch["image"], cams, batch["label"], words, labels_cpu=batch["label_cpu"])
        return total, terms

    loop = loop_config(ctx, params, dist)
    optim = OptimConfig.from_params(params)
    backbone_params, head_params = model.param_groups()
    groups = [{"name": "backbone", "params": backbone_params}, {"name": "head", "params": head_params}]
    if adaptors is not None:
        groups.append({"name": "adaptors", "params": [p for p in adaptors.parameters() if p.requires_grad]})
    if prompts is not None:
        groups.append(
            {
                "name": "prompt",
                "params": [p for p in prompts.parameters() if p.requires_grad],
                "lr_mult": strategy.lr_mult,
            }
        )
    max_steps = (len(dataset) // (loop.batch_size * dist.world)) * loop.epochs
    optimizer, scheduler = build_optimizer(groups, optim, max_steps)
    ctx.log(
        f"train_clims {sid}: {loop.epochs} epochs, {optim.schedule} schedule "
        f"({p.schedule_preset} preset), {len(dataset)} images, init {init}, "
        f"CLIP {clip.description}, prompt {prompt}, prompt strategy {strategy.kind} {strategy.template!r}, "
        f"adaptors {adaptor_kind}, loss {p.loss} {loss.otm}/{loss.btm}/{loss.cbs}/"
        f"{loss.reg}, mask {mask_mode}, cbs threshold {loss.cbs_threshold}"
    )
    trainer = Trainer(
        ctx,
        sid,
        "train_clims",
        loop,
        dataset,
        trainer_model,
        model.meta(),
        optimizer,
        scheduler,
        step_fn,
        extras={k: m for k, m in (("adaptors", adaptors), ("prompt", prompts)) if m is not None},
        dist=dist,
        extra_state=online,
        device=device,
        **input_options(dataset, device, loop),
    )
    summary = trainer.run()
    summary.update(
        init=init,
        prompt=prompt,
        adaptors=adaptor_kind,
        clip=clip.description,
        mask_mode=mask_mode,
        loss={"otm": loss.otm, "btm": loss.btm, "cbs": loss.cbs, "reg": loss.reg, "cbs_threshold": loss.cbs_threshold},
    )
    if online is not None:
        summary["online_refreshes"] = online.refreshes
    summary["prompt_strategy"] = strategy.kind
    if prompts is not None and dist.is_main:
        summary["prompts"] = save_prompts(ctx.run.path, sid, prompts, classes)
    if adaptors is not None and adaptor_kind == "learnable":
        summary["adaptor_ratio_mean"] = {
            "image": float(adaptors.image.ratio.detach().mean()),
            "text": float(adaptors.text.ratio.detach().mean()),
        }
    return summary


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Training list, init checkpoint (or fresh backbone weights), CLIP weights, synonym bank and, for
    selected prompts, the selection file named by path (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    p = TrainClimsParams.from_params(params)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "train"))
    if p.init is None:
        problems.collect(inputs.backbone_weights, backbone_options(p.backbone or {}, fixed_bn=False))
    else:
        problems.collect(inputs.checkpoint, config, params, "init", resolve_path)
    problems.collect(inputs.clip, config, resolve_path)
    problems.collect(inputs.synonym_bank, config, resolve_path, config.get("synonym_bank"), False, "train_clims")
    prompt, ref = p.prompt, p.selection
    if (
        (prompt == "selected" or (prompt == "online" and p.online_init == "selected"))
        and ref
        and ref not in inputs.stage_ids(config)
        and not resolve_path(ref).is_file()
    ):
        problems.add(
            ConfigInvalid(
                f"prompt {prompt!r} needs a selection file, and {resolve_path(ref)} does not exist",
                hint="add a select_prompts stage before this one, or set 'selection' to a prompt_selection.json",
                path=str(resolve_path(ref)),
            )
        )
    problems.collect(check_train_clims, config, params, resolve_path)
    problems.raise_if_any()


run.preflight = preflight
