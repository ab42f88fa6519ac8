"""Stage `evaluate`: CAM (or mask) mIoU against ground truth -> <run>/reports/<stage-id>.json (METHOD §3.2, §6).

Params (EvaluateParams; defaults: schemas/run-config.schema.json `$defs/evaluateParams`):
  cams        id of an infer_cams stage (-> cams/<id>/) or a folder of CAM files
  split       "eval" (dataset.eval_list), "train" (dataset.train_list) or a list name / path
  threshold   fixed background threshold (improved CLIMS / POLE `--cam_eval_thres`)
  thresholds  the sweep (camera-ready CLIMS: 0.05..0.75 step 0.05); the best is reported too
  masks       instead of cams: predicted label PNGs (a stage id -> <run>/masks/<id>/, or a folder), e.g. pseudo
              masks; scored as IRN `eval_sem_seg` does (prediction 255 -> background); no threshold, no sweep
The report's "source" says what was scored ({"stage": id, "type": e.g. "random_walk"}, or a folder's path).
Uses `high_res` CAMs; the prediction is argmax over [bg = threshold, present classes] (keys from image labels).
The report says "synthetic" from the config; the sweep's best is tuned on GT (METHOD §7.6): both the
fixed-threshold and the best numbers are reported. mIoU values are fractions in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from ..data.cam_files import cam_path, load_cam
from ..data.voc import VOCDataset
from ..errors import DatasetError
from ..data.labels import read_mask
from ..data.transforms import IGNORE_INDEX
from ..evaluation.miou import CamThresholdSweep, SemSegEvaluator, default_thresholds
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from . import inputs, references


def evaluate_cams(
    dataset: VOCDataset,
    cam_dir: Path,
    threshold: float,
    thresholds: Optional[Sequence[float]] = None,
    progress: Optional[Callable[..., None]] = None,
    check_cancelled: Optional[Callable[[], None]] = None,
) -> dict:
    """Fixed-threshold and sweep mIoU of the CAM files in `cam_dir` for every image of `dataset`."""
    sweep_values = default_thresholds() if thresholds is None else np.asarray(thresholds, np.float64)
    all_values = np.unique(np.round(np.append(sweep_values, threshold), 6))
    sweep = CamThresholdSweep(dataset.class_names_with_background, all_values)
    total = len(dataset.ids)
    for n, image_id in enumerate(dataset.ids):
        if check_cancelled and n % 16 == 0:
            check_cancelled()
        path = cam_path(cam_dir, image_id)
        record = load_cam(path)
        high_res = record["high_res"]
        gt = dataset.read_mask(image_id, size=high_res.shape[-2:])
        try:
            sweep.process(gt, high_res, record["keys"])
        except ValueError as exc:
            mask = dataset.mask_paths[image_id]
            if str(exc).startswith("ground truth"):  # the mask's values, not the CAM file, are wrong
                raise DatasetError(
                    f"mask {mask}: {exc}",
                    hint="fix the mask (class ids 0..C, 255 = ignore), or set "
                    "dataset.classes to the class list the masks use",
                    path=str(mask),
                ) from exc
            raise DatasetError(
                f"cannot score {path} against {mask}: {exc}",
                hint="check that the CAMs and masks come from the same dataset and class list",
                path=str(path),
            ) from exc
        if progress and (n % 16 == 15 or n + 1 == total):
            progress(n + 1, total, f"{n + 1} images scored")
    result = sweep.evaluate(threshold)
    in_sweep = {round(float(t), 6) for t in sweep_values}
    result["sweep"] = [row for row in result["sweep"] if round(row["threshold"], 6) in in_sweep]
    scored = [row for row in result["sweep"] if row["miou"] is not None]
    result["best"] = max(scored, key=lambda row: row["miou"]) if scored else result["best"]
    return result


def evaluate_masks(
    dataset: VOCDataset,
    mask_dir: Path,
    progress: Optional[Callable[..., None]] = None,
    check_cancelled: Optional[Callable[[], None]] = None,
) -> dict:
    """mIoU of predicted label PNGs (0 background, 1..C, 255 -> background as in IRN `eval_sem_seg`)."""
    evaluator = SemSegEvaluator(dataset.class_names_with_background)
    total = len(dataset.ids)
    for n, image_id in enumerate(dataset.ids):
        if check_cancelled and n % 16 == 0:
            check_cancelled()
        path = Path(mask_dir) / f"{image_id}.png"
        if not path.is_file():
            raise DatasetError(
                f"predicted mask {path} does not exist",
                hint="run the stage that writes the masks for this image list first",
                path=str(path),
            )
        pred = read_mask(path)
        gt = dataset.read_mask(image_id, size=pred.shape)
        try:
            evaluator.process(gt, np.where(pred == IGNORE_INDEX, 0, pred))
        except ValueError as exc:
            raise DatasetError(
                f"cannot score {path}: {exc}",
                hint="check the masks' class ids against the dataset's class list",
                path=str(path),
            ) from exc
        if progress and (n % 16 == 15 or n + 1 == total):
            progress(n + 1, total, f"{n + 1} masks scored")
    return {
        **evaluator.evaluate(),
        "confusion": evaluator.confusion.tolist(),
        "threshold": None,
        "sweep": [],
        "best": None,
    }


def build_report(result: dict, *, synthetic: bool, split: str, classes: Sequence[str], **extra) -> dict:
    """The report object of docs/ARCHITECTURE.md (`reports/<stage-id>.json`)."""
    return {
        "synthetic": bool(synthetic),
        "split": split,
        "n_images": result["n_images"],
        "classes": list(classes),
        "threshold": result["threshold"],
        "miou": result["miou"],
        "per_class_iou": result["per_class_iou"],
        "sweep": result["sweep"],
        "best": result["best"],
        "confusion": result["confusion"],
        **extra,
    }


def source_kind(ctx: StageContext, params: dict, key: str) -> dict:
    """What was scored, so the report panel can show CAM -> IR labels -> +RW as the paper's tables do:
    {"stage": id, "type": that stage's type} for an earlier stage of this run, else {"path": folder, "type":
    "cams" | "masks"} for a folder given by path."""
    value = params[key]
    types = {s.get("id"): s.get("type") for s in ctx.config.get("stages", [])}
    if value in types:
        return {"stage": value, "type": types[value]}
    return {"path": str(ctx.resolve_path(value)), "type": key}


@dataclass(frozen=True)
class EvaluateParams(StageParams, stage="evaluate"):
    split: str
    threshold: float
    thresholds: tuple
    cams: str | None = None  # references.cams_ref says what is missing
    masks: str | None = None  # set: score these masks instead of CAMs


@register_stage("evaluate")
def run(ctx: StageContext, params: dict) -> dict:
    from ..runs.run_folder import atomic_write_json

    p = EvaluateParams.from_params(params)
    sid = references.stage_id(ctx, params)
    scoring_masks = bool(p.masks)
    source = (
        references.artefact_ref(ctx, params, "masks", "masks", "pseudo-mask")
        if scoring_masks
        else references.cams_ref(ctx, params)
    )
    if not source.is_dir():
        raise DatasetError(
            f"{'mask' if scoring_masks else 'CAM'} folder {source} does not exist",
            hint=f"run the stage named by '{'masks' if scoring_masks else 'cams'}' first",
            path=str(source),
        )
    list_name = references.image_list(ctx, params)
    threshold = float(p.threshold)
    dataset = VOCDataset(
        references.dataset_root(ctx),
        list_name,
        references.dataset_classes(ctx),
        with_mask=True,
        empty_labels="keep",
        log=lambda m: ctx.log(m, level="warning"),
    )
    ctx.log(f"evaluate {sid}: {len(dataset)} images of {list_name!r}, {'masks' if scoring_masks else 'CAMs'} {source}")
    if scoring_masks:
        result = evaluate_masks(dataset, source, ctx.progress, ctx.check_cancelled)
    else:
        result = evaluate_cams(dataset, source, threshold, p.thresholds, ctx.progress, ctx.check_cancelled)
    report = build_report(
        result,
        synthetic=ctx.config.get("synthetic", False),
        split=list_name,
        classes=dataset.class_names_with_background,
        stage=sid,
        source=source_kind(ctx, params, "masks" if scoring_masks else "cams"),
        **{"masks" if scoring_masks else "cams": str(source)},
    )
    reports = Path(ctx.run.path) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    atomic_write_json(reports / f"{sid}.json", report)
    best = {f"best_{k}": v for k, v in (report["best"] or {}).items()}
    ctx.metrics(0, **{k: v for k, v in {"miou": report["miou"], **best}.items() if v is not None})
    return {
        "miou": report["miou"],
        "threshold": report["threshold"],
        "best": report["best"],
        "n_images": report["n_images"],
        "report": str(reports / f"{sid}.json"),
    }


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The CAM or mask folder (unless a stage of this run writes it) and the list with its ground-truth masks
    (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    if EvaluateParams.from_params(params).masks:
        problems.collect(inputs.folder, config, params, "masks", "pseudo-mask", resolve_path)
    else:
        problems.collect(inputs.folder, config, params, "cams", "infer_cams", resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "eval"), with_mask=True)
    problems.raise_if_any()


run.preflight = preflight
