"""Run configs of the demo's variants on the synthetic world (real run-config JSON, schemas/run-config.schema.json).

  baseline      GAP CAM network (METHOD §1.2) -> evaluate
  clims_gt      CLIMS from the baseline with the ground-truth word (§1.3–1.4)
  pole_select   CLIMS with POLE's selected words (§2.2)
  pole_full     POLE selection + learnable adaptors (§2.3)
The offline selection (§2.2) masks train_aug with "a previous run's CAMs"; which run is not stated (METHOD §2.2
[INFERRED]). ``Budget.select_from`` picks it: "clims_gt" (default) or "baseline". Its run gets the extra stages
(CAMs of train_aug, select_prompts). CLIMS variants start from the baseline run's checkpoint and read that
selection file (stage params may name another run folder's artefact by path, docs/ARCHITECTURE.md).
The variants in ``Budget.refine`` also get IRN's refinement half (METHOD §4, ``refine_stages``) when the dense
CRF package is installed, and those in ``Budget.export`` (pole_full) an export_onnx stage, so the extension's hover
previews work on the world's ids right after the demo (measured: the stage took 10 s with OMP_NUM_THREADS=1 on a
shared 2-core CPU, int8 preview model included). Paths into the demo folder (``init``, ``selection``) are written
relative to configs/ (runs/portable_paths.py), so a copied demo folder uses its own files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..refine.crf import crf_available
from ..runs.portable_paths import portable_path
from ..runs.run_folder import checkpoint_file
from .world import load_world_meta

VARIANTS = ("baseline", "clims_gt", "pole_select", "pole_full")
LABELS = {
    "baseline": "baseline CAM",
    "clims_gt": "CLIMS (GT prompt)",
    "pole_select": "POLE selection",
    "pole_full": "POLE selection + adaptors",
}


@dataclass
class Budget:
    """Training sizes; defaults fit the whole demo in about 10 minutes on a 2-core CPU."""

    baseline_epochs: int = 4
    baseline_lr: float = 2e-3
    clims_epochs: int = 2
    clims_lr: float = 3e-4
    batch_size: int = 32
    width: int = 32
    out_channels: int = 128
    train_list: str = "train_aug"
    eval_list: str = "train"
    eval_scales: tuple = (1.0, 1.5)
    select_scales: tuple = (1.0,)
    select_from: str = "clims_gt"  # whose CAMs the POLE selection masks images with: clims_gt | baseline
    stop_after: int | None = None  # tests: cap the training steps of every stage
    seg_iterations: int = 200  # the segmenter (METHOD §5, sized for the 64 px world and a CPU)
    seg_lr: float = 2e-3  # Adam, as the other synthetic stages (the recipe: SGD 2.5e-4 with 10x/20x on the head)
    seg_batch_size: int = 16
    seg_backbone_from: bool = True  # start from the variant's CAM network (the recipe's pretrained init, §5)
    seg_width: int = 16  # a random-init small CNN's size, when seg_backbone_from is false
    seg_out_channels: int = 64
    seg_scales: tuple = (1.0,)  # inference scales (+ flip); the recipe's 0.5 / 0.75 shrink a 64 px world to 32 / 48
    device: str = "cpu"  # "cuda" on a GPU machine (scripts/device-check.sh); "auto" picks it
    numerics: str = "reference"  # the config's numerics preset (training/numerics.py): reference | fast
    refine: tuple = ("baseline", "pole_select", "pole_full")  # variants that get IR labels -> IRN -> +RW
    segment: tuple = ("baseline", "pole_full")  # variants whose +RW masks train the segmenter (METHOD §5)
    export: tuple = ("pole_full",)  # variants whose CAM network is exported for the hover previews (export_onnx)
    irn_epochs: int = 3  # the demo's; on 300 images that is 27 steps (the recipe ~990): the parts files use 20
    irn_list: str = "eval"  # the list IRN learns from: "eval" (the demo: the CAMs already made) | "train" (recipe)
    irn_lr: float = 0.01  # Adam, as the other synthetic stages (the recipe: SGD 0.1, METHOD §4.2)
    # CPU speed, not method: the demo sets both (measured in docs/BENCHMARKS.md "The main job"); the experiment
    # files keep the defaults, so their documented figures stay reproducible
    channels_last: bool = False  # the small CNN's training and CAM inference in channels-last memory format
    ir_workers: int = 0  # processes for the IR labels' dense CRF (ir_labels num_workers)


def _backbone(b: Budget) -> dict:
    return {"name": "small_cnn", "width": b.width, "out_channels": b.out_channels, "pretrained": None}


def _common(name: str, seed: int, world: Path, clip: Path, b: Budget, description: str) -> dict:
    classes = json.loads((world / "classes.json").read_text())
    return {
        "name": name,
        "description": description,
        "seed": seed,
        "device": b.device,
        "numerics": b.numerics,
        "synthetic": True,
        "dataset": {
            "root": str(world),
            "classes": classes,
            "train_list": b.train_list,
            "eval_list": b.eval_list,
            "image_size": world_image_size(world),
        },
        "clip": {"kind": "tiny", "checkpoint": str(clip), "pretrained": None, "precision": "fp32"},
        "synonym_bank": str(world / "bank.json"),
    }


def _cam_stage(stage_id: str, model: str, split: str, b: Budget, scales: tuple | None = None) -> dict:
    """The CAM inference of `model` on a list at ``scales`` (default the budget's evaluation scales: the evaluation
    list's CAMs, or IRN's data)."""
    return {
        "id": stage_id,
        "type": "infer_cams",
        "model": model,
        "split": split,
        "scales": list(b.eval_scales if scales is None else scales),
        "batch_size": 32,
        "num_workers": 0,
        "channels_last": b.channels_last,
    }


def _eval_stages(model: str, b: Budget) -> list[dict]:
    return [_cam_stage("cams", model, "eval", b), {"id": "eval", "type": "evaluate", "cams": "cams", "split": "eval"}]


def world_image_size(world: Path) -> int:
    """The world's image side in pixels (world.json; 64 for the demo's world)."""
    return int(load_world_meta(world)["params"]["image_size"])


def refine_stages(model: str, b: Budget, image_size: int = 64) -> list[dict]:
    """IRN refinement (METHOD §4) of the evaluation list's CAMs, scored like them. To fit the demo's budget IRN
    learns from the IR labels of that same list (the recipe uses train_aug), with its backbone taken from the
    variant's CAM network (no ImageNet weights in the synthetic world), radius 5 and whole images as crops (a
    16x16 stride-4 grid on the 64 px world). ``Budget.irn_list`` "train" follows the recipe instead: CAMs and IR
    labels of the training list (train_aug) for IRN, the evaluation list's CAMs walked as before."""
    own = b.irn_list == "train"
    irn = {
        "id": "irn",
        "type": "train_irn",
        "ir_labels": "ir_train" if own else "ir",
        "split": b.irn_list,
        "backbone_from": model,
        "radius": 5,
        "crop_size": image_size,
        "epochs": b.irn_epochs,
        "batch_size": b.batch_size,
        "optimizer": "adam",
        "lr": b.irn_lr,
        "num_workers": 0,
        "log_every": 10,
    }
    if b.stop_after:
        irn["stop_after"] = b.stop_after
    irn_labels = (
        [  # the recipe's IRN data: the training list's own CAMs and IR labels
            _cam_stage("cams_irn", model, "train", b),
            {"id": "ir_train", "type": "ir_labels", "cams": "cams_irn", "split": "train", "num_workers": b.ir_workers},
        ]
        if own
        else []
    )
    return [
        {"id": "ir", "type": "ir_labels", "cams": "cams", "split": "eval", "num_workers": b.ir_workers},
        {"id": "eval_ir", "type": "evaluate", "masks": "ir", "split": "eval"},
        *irn_labels,
        irn,
        {"id": "rw", "type": "random_walk", "cams": "cams", "irn": "irn", "split": "eval", "batch_size": 16},
        {"id": "eval_rw", "type": "evaluate", "masks": "rw", "split": "eval"},
    ]


def segmenter_stages(masks: str, b: Budget, image_size: int = 64, model: str | None = None) -> list[dict]:
    """METHOD §5 on the synthetic world, sized for a CPU: the small DeepLabV2 (small CNN, ASPP rates scaled to its
    stride-4 output: 1/2/3/4 on the 64 px world's 16x16), single-scale training (no MSC), on the pseudo masks
    `masks` (a stage id or folder), then flipped masks of the val list at ``Budget.seg_scales`` (no 513 padding,
    no CRF) and their mIoU. With ``Budget.seg_backbone_from`` and a CAM stage ``model`` the backbone starts from
    that CAM network (the synthetic world has no ImageNet or COCO weights), trained by Adam with the same lr on
    the head (docs/SYNTHETIC-WORLD.md §3: the recipe's SGD with 10x/20x head lr left it at the background)."""
    train = {
        "id": "segmenter",
        "type": "train_segmenter",
        "masks": masks,
        "split": "eval",  # the list the pseudo masks were made for (the recipe: train_aug)
        "arch": "deeplabv2_small",
        "init": None,
        "aspp_rates": [max(1, r * image_size // 64) for r in (1, 2, 3, 4)],
        "msc_scales": [],
        "crop_size": image_size,
        "iterations": b.seg_iterations,
        "batch_size": b.seg_batch_size,
        "accumulate": 1,
        "optimizer": "adam",
        "lr": b.seg_lr,
        "head_lr_mult": 1.0,
        "head_bias_lr_mult": 1.0,
        "num_workers": 0,
        "log_every": 10,
        "checkpoint_every": 0,
        "channels_last": b.channels_last,
    }
    if b.seg_backbone_from and model:
        train["backbone_from"] = model
    else:
        train["small"] = {"width": b.seg_width, "out_channels": b.seg_out_channels}
    if b.stop_after:
        train["stop_after"] = b.stop_after
    return [
        train,
        {
            "id": "seg_val",
            "type": "infer_segmenter",
            "model": "segmenter",
            "split": "val",
            "input_size": 0,
            "scales": list(b.seg_scales),
            "amp": False,
        },
        {"id": "eval_seg", "type": "evaluate", "masks": "seg_val", "split": "val"},
    ]


def selection_stages(model: str, b: Budget) -> list[dict]:
    """CAMs of the training list, then POLE's offline prompt selection from them (METHOD §2.2)."""
    return [
        _cam_stage("cams_train", model, "train", b, b.select_scales),
        {"id": "select", "type": "select_prompts", "cams": "cams_train", "split": "train"},
    ]


def baseline_config(seed: int, world: Path, clip: Path, b: Budget, with_selection: bool = False) -> dict:
    world_meta = load_world_meta(world)
    stage = {
        "id": "baseline",
        "type": "baseline_cam",
        "backbone": _backbone(b),
        "epochs": b.baseline_epochs,
        "batch_size": b.batch_size,
        "optimizer": "adam",
        "lr": b.baseline_lr,
        "head_lr_mult": 1,
        "num_workers": 0,
        "log_every": 10,
        "channels_last": b.channels_last,
    }
    if b.stop_after:
        stage["stop_after"] = b.stop_after
    cfg = _common("synthetic-baseline", seed, world, clip, b, f"SYNTHETIC world {world_meta['key']}: GAP baseline CAM")
    cfg["stages"] = [stage] + _eval_stages("baseline", b) + (selection_stages("baseline", b) if with_selection else [])
    return cfg


def clims_config(
    variant: str,
    seed: int,
    world: Path,
    clip: Path,
    b: Budget,
    baseline_run: Path,
    selection: Path | None = None,
    with_selection: bool = False,
) -> dict:
    from .words import BACKGROUND_PROMPTS

    stage = {
        "id": "clims",
        "type": "train_clims",
        "init": str(checkpoint_file(baseline_run, "baseline")),  # made relative by write_configs
        "epochs": b.clims_epochs,
        "batch_size": b.batch_size,
        "optimizer": "adam",
        "lr": b.clims_lr,
        "head_lr_mult": 1,
        "schedule": "constant",
        "loss": "improved",
        "mask_mode": "raw",
        "background_words": list(BACKGROUND_PROMPTS),
        "num_workers": 0,
        "log_every": 10,
        "prompt": "gt",
        "adaptors": "none",
        "channels_last": b.channels_last,
    }
    if variant in ("pole_select", "pole_full"):
        stage["prompt"] = "selected"
        stage["selection"] = str(selection)
    if variant == "pole_full":
        stage["adaptors"] = "learnable"
    if b.stop_after:
        stage["stop_after"] = b.stop_after
    cfg = _common(f"synthetic-{variant}", seed, world, clip, b, f"SYNTHETIC world: {LABELS[variant]}")
    cfg["stages"] = [stage] + _eval_stages("clims", b) + (selection_stages("clims", b) if with_selection else [])
    return cfg


def write_configs(out: Path, seed: int, world: Path, clip: Path, b: Budget, variants=VARIANTS) -> dict[str, Path]:
    """<out>/configs/<variant>.json for each variant (its run folder <out>/<variant>/ gets the resolved
    config.json); returns {variant: config path}."""
    source = b.select_from if b.select_from in variants else "baseline"
    selection = out / source / "selection" / "prompt_selection.json"
    needs = any(v.startswith("pole") for v in variants)
    configs = out / "configs"
    paths = {}
    for v in variants:
        with_selection = needs and v == source
        cfg = (
            baseline_config(seed, world, clip, b, with_selection)
            if v == "baseline"
            else clims_config(v, seed, world, clip, b, out / "baseline", selection, with_selection)
        )
        for stage in cfg["stages"]:  # paths into the demo folder, relative to configs/: a moved demo keeps working
            for key in ("init", "selection"):
                if isinstance(stage.get(key), str) and Path(stage[key]).is_absolute():
                    stage[key] = portable_path(stage[key], configs, out)
        if v in b.export:  # the hover previews' model (extension/preview), right after the main job
            cfg["stages"].append({"id": "export", "type": "export_onnx", "model": cfg["stages"][0]["id"]})
        if v in b.refine and crf_available():
            size = cfg["dataset"]["image_size"]  # the world's, as _common read it
            model = cfg["stages"][0]["id"]  # the variant's CAM network
            second_half = refine_stages(model, b, size)
            if v in b.segment:
                second_half += segmenter_stages("rw", b, size, model)
            cfg["stages"][3:3] = second_half  # after the CAMs and their evaluation
        path = configs / f"{v}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cfg, indent=1))
        paths[v] = path
    return paths
