"""Stage `select_prompts`: POLE's offline prompt selection from saved CAMs (METHOD §2.2, §9.3).

Params (SelectPromptsParams; defaults: schemas/run-config.schema.json `$defs/select_promptsParams`):
  cams        infer_cams stage id (-> <run>/cams/<id>/) or a folder of CAM .npy files   (required)
  split       "train" (dataset.train_list) | "eval" | a list name / path
  batch_size  masked images per CLIP call
  bank        synonym bank path (unset: the config's synonym_bank); bank_size (unset: synonym_bank_size)
Writes <run>/selection/prompt_selection.json {"bank", "words", "images": {id: {class: {"word", "scores"}}}}
and <run>/selection/selection_stats.json {class: {word: count}} (docs/ARCHITECTURE.md). On cancellation the
images done so far are kept (stages/<id>/partial_selection.json) and a resume does only the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.voc import VOCDataset
from ..errors import Cancelled, ConfigInvalid
from ..models.clip_model import ClipScorer
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..runs.run_folder import atomic_write_json, read_json
from ..pole.selection import select_offline, selection_stats
from ..pole.synonym_bank import SynonymBank
from ..prompts.preflight import check_select_prompts
from ..prompts.vocabulary import check_vocabulary
from . import inputs, references


@dataclass(frozen=True)
class SelectPromptsParams(StageParams, stage="select_prompts"):
    split: str
    batch_size: int
    cams: str | None = None  # references.cams_ref says what is missing
    bank: str | None = None  # None: the config's synonym_bank
    bank_size: int | None = None  # None: the config's synonym_bank_size


@register_stage("select_prompts")
def run(ctx: StageContext, params: dict) -> dict:
    p = SelectPromptsParams.from_params(params)
    sid = references.stage_id(ctx, params)
    cams_dir = references.cams_ref(ctx, params)
    bank_path = p.bank or ctx.config.get("synonym_bank")
    if not bank_path:
        raise ConfigInvalid(
            f"stage {sid!r} needs a synonym bank",
            hint="set the config's synonym_bank (or the "
            "stage's bank) to a JSON file {class: [ground-truth word, synonyms...]}",
        )
    dataset = VOCDataset(
        references.dataset_root(ctx),
        references.image_list(ctx, params, default="train"),
        references.dataset_classes(ctx),
        empty_labels="skip",
        log=lambda m: ctx.log(m, level="warning"),
    )
    bank = SynonymBank.load(
        ctx.resolve_path(bank_path), dataset.classes, p.bank_size or ctx.config.get("synonym_bank_size")
    )
    for warning in bank.warnings:
        ctx.log(f"synonym bank {bank.path}: {warning}", "warning")
    if bank.missing:
        ctx.log(f"synonym bank has no entry for {bank.missing}; those classes keep their own name", "warning")
    clip = ClipScorer.from_config(ctx.config.get("clip", {}), ctx.device, ctx.resolve_path)
    check_vocabulary(
        clip.tokenizer,
        [w for c in dataset.classes for w in bank.candidates(c)],
        f"synonym bank {bank.path}",
        clip.description,
    )
    total = len(dataset)
    # Resumable: what was selected before a cancellation is kept in the stage folder and not redone.
    partial = ctx.stage_dir() / "partial_selection.json"
    images = read_json(partial) if partial.is_file() else {}
    todo = [i for i in dataset.ids if i not in images]

    def items():
        for image_id in todo:
            yield image_id, np.asarray(dataset.read_image(image_id), dtype=np.uint8)

    ctx.log(f"select_prompts {sid}: {len(todo)} of {total} images to do, CAMs {cams_dir}, CLIP {clip.description}")
    done_before = total - len(todo)
    try:
        select_offline(
            items(),
            cams_dir,
            clip,
            bank,
            dataset.classes,
            batch_size=p.batch_size,
            check_cancelled=ctx.check_cancelled,
            result=images,
            progress=lambda done: ctx.progress(done_before + done, total, f"{done_before + done}/{total} images"),
        )
    except Cancelled:
        atomic_write_json(partial, images)
        raise
    stats = selection_stats(images, dataset.classes, bank)
    selection = ctx.run.write_json(
        "selection/prompt_selection.json",
        {"bank": str(ctx.resolve_path(bank_path)), "words": bank.words, "images": images},
    )
    ctx.run.write_json("selection/selection_stats.json", stats)
    instances = sum(sum(c.values()) for c in stats.values())
    gt_share = sum(stats[c].get(bank.gt_word(c), 0) for c in stats) / max(instances, 1)
    partial.unlink(missing_ok=True)
    return {
        "images": len(images),
        "instances": instances,
        "gt_word_share": round(gt_share, 4),
        "selection": str(selection),
        "stats": stats,
        "clip": clip.description,
    }


def preflight(config: dict, params: dict, resolve_path) -> None:
    """CAM folder (unless an infer_cams stage of this run writes it), image list, synonym bank and CLIP
    weights: what makes POLE's selection fail after hours of training (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    problems.collect(inputs.folder, config, params, "cams", "infer_cams", resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "train"))
    problems.collect(
        inputs.synonym_bank,
        config,
        resolve_path,
        SelectPromptsParams.from_params(params).bank or config.get("synonym_bank"),
        True,
        "select_prompts",
    )
    problems.collect(inputs.clip, config, resolve_path)
    problems.collect(check_select_prompts, config, params, resolve_path)
    problems.raise_if_any()


run.preflight = preflight
