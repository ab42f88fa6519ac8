"""Stage `clip_cams`: training-free CAMs from the frozen CLIP -> <run>/cams/<stage-id>/<id>.npy (METHOD §10).

Params (schemas/run-config.schema.json `$defs/clip_camsParams`):
  split          "eval" (default) | "train" | a list name / path
  words          "class" (the class name, CLIP-ES) | "selected" (POLE's selection on these CAMs) | "fusion"
  top_k          words fused per class with words "fusion" (default 2)
  bank           synonym bank (default: the config's synonym_bank; needed unless words is "class")
  background     background-word list: "voc", "synthetic", "none" or a JSON file (clip_cam/background.py);
                 default "synthetic" in a synthetic run, else "voc"
  template       prompt template, default "a photo of {}." (CLIP-ES's code uses "a clean origami {}.")
  softmax_over   "labelled" (the image's classes + background, CLIP-ES's code, default) | "all" classes
  scale          input size / image size; default 2 in a synthetic run (64-px images), else 1 (CLIP-ES)
  max_side       cap on the input's long side in pixels (0: none, default)
  layer          ResNet CLIPs' Grad-CAM stage, default "layer4"
  refine, attention_layers, box_threshold   ViT CLIPs' class-aware attention refinement (on, 8, 0.4)
Output: the CAM record of infer_cams (data/cam_files.py), so evaluate, select_prompts, ir_labels and the panels
read it unchanged, and for "selected"/"fusion" <run>/selection/<stage-id>.json in prompt_selection.json's format
(the words used and every candidate's score). Resumable per image (existing CAM files are skipped).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..clip_cam.background import background_words
from ..clip_cam.maker import CamSettings, TrainingFreeCams
from ..clip_cam.words import WORD_MODES, score_words, words_for
from ..data.cam_files import cam_path, save_cam
from ..data.voc import VOCDataset
from ..errors import ConfigInvalid
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..pole.selection import WordScorer
from ..pole.synonym_bank import SynonymBank
from ..prompts.vocabulary import check_vocabulary
from ..runs.run_folder import read_json
from . import inputs, references

SAVE_EVERY = 16  # images between saves of the word table (a cancelled run keeps what it chose)


@dataclass(frozen=True)
class ClipCamsParams(StageParams, stage="clip_cams"):
    """The stage's params, defaults from the schema; `for_run` fills the two that depend on the run."""

    split: str
    words: str
    top_k: int
    template: str
    softmax_over: str
    layer: str
    refine: bool
    attention_layers: int
    box_threshold: float
    max_side: int
    bank: str | None = None
    background: str | None = None  # None: "synthetic" on the synthetic world, else "voc"
    scale: float | None = None  # None: 2.0 on the synthetic world (64 px images), else 1.0

    @classmethod
    def for_run(cls, params: dict, config: dict) -> "ClipCamsParams":
        p = cls.from_params(params)
        if p.words not in WORD_MODES:
            raise ConfigInvalid(f"clip_cams words must be one of {WORD_MODES}, not {p.words!r}")
        synthetic = bool(config.get("synthetic"))
        return dataclasses.replace(
            p,
            background=p.background or ("synthetic" if synthetic else "voc"),
            scale=p.scale if p.scale is not None else (2.0 if synthetic else 1.0),
        )

    @property
    def settings(self) -> CamSettings:
        names = {f.name for f in dataclasses.fields(CamSettings)}
        return CamSettings(**{n: getattr(self, n) for n in names})


def run_params(config: dict) -> ClipCamsParams:
    """The CAM settings of a run: its first clip_cams stage's, else the defaults for its CLIP (the editor's
    instant CAMs, rpc/clip_cam_word.py, then match what the stage would write)."""
    stage = next((s for s in config.get("stages", []) if s.get("type") == "clip_cams"), {})
    return ClipCamsParams.for_run({k: v for k, v in stage.items() if k not in ("id", "type")}, config)


def maker_for(clip, classes, bank: SynonymBank, p: ClipCamsParams, resolve_path) -> TrainingFreeCams:
    """The CAM maker over a loaded CLIP; every prompt word checked against the CLIP's vocabulary first."""
    background = background_words(p.background, resolve_path)
    words = [w for c in classes for w in bank.candidates(c)] + background
    check_vocabulary(clip.tokenizer, [p.settings.template.format(w) for w in words], "clip_cams", clip.description)
    return TrainingFreeCams(clip, classes, {c: bank.gt_word(c) for c in classes}, background, p.settings)


def make_cams(ctx, p: ClipCamsParams) -> tuple[TrainingFreeCams, SynonymBank, VOCDataset]:
    """The dataset, its bank and the CAM maker over the config's CLIP (vocabulary checked before any work)."""
    from ..models.clip_model import ClipScorer

    dataset = VOCDataset(
        references.dataset_root(ctx),
        references.image_list(ctx, {"split": p.split}),
        references.dataset_classes(ctx),
        empty_labels="keep",
        log=lambda m: ctx.log(m, level="warning"),
    )
    bank_ref = p.bank or ctx.config.get("synonym_bank")
    if p.words != "class" and not bank_ref:
        raise ConfigInvalid(f"clip_cams words {p.words!r} needs a synonym bank", hint="set synonym_bank or bank")
    bank = (
        SynonymBank.load(ctx.resolve_path(bank_ref), dataset.classes, ctx.config.get("synonym_bank_size"))
        if bank_ref
        else SynonymBank.ground_truth_only(dataset.classes)
    )
    clip = ClipScorer.from_config(ctx.config.get("clip", {}), ctx.device, ctx.resolve_path)
    return maker_for(clip, dataset.classes, bank, p, ctx.resolve_path), bank, dataset


@register_stage("clip_cams")
def run(ctx, params: dict) -> dict:
    sid = references.stage_id(ctx, params)
    p = ClipCamsParams.for_run(params, ctx.config)
    maker, bank, dataset = make_cams(ctx, p)
    out_dir = Path(ctx.run.path) / "cams" / sid
    out_dir.mkdir(parents=True, exist_ok=True)
    table_path = Path(ctx.run.path) / "selection" / f"{sid}.json"
    table = read_json(table_path).get("images", {}) if table_path.is_file() else {}
    scorer = WordScorer(maker.clip, bank, dataset.classes, p.settings.template)
    todo = [i for i in dataset.ids if not cam_path(out_dir, i).exists()]
    total, done_before = len(dataset.ids), len(dataset.ids) - len(todo)
    ctx.log(
        f"clip_cams {sid}: {len(todo)} of {total} images, words {p.words}, {maker.kind} CLIP {maker.clip.description}"
    )

    def save_table():
        if p.words != "class":
            ctx.run.write_json(f"selection/{sid}.json", {"bank": str(bank.path), "words": bank.words, "images": table})

    start, probs = time.perf_counter(), []
    try:
        for n, image_id in enumerate(todo, 1):
            ctx.check_cancelled()
            rgb = np.asarray(dataset.read_image(image_id).convert("RGB"), np.uint8)
            keys = dataset.labels[image_id]
            chosen = {}
            if p.words != "class":
                scores = score_words(maker, scorer, rgb, keys)
                chosen = words_for(p.words, scores, p.top_k)
                table[image_id] = {
                    dataset.classes[k]: {"word": chosen[k][0], "words": chosen[k], "scores": s}
                    for k, s in scores.items()
                }
            k, cam, high_res, prob = maker.record(rgb, keys, chosen)
            save_cam(cam_path(out_dir, image_id), k, cam, high_res)
            probs += prob.tolist()
            if n % SAVE_EVERY == 0:
                save_table()
            ctx.progress(done_before + n, total, f"{done_before + n}/{total} images")
    finally:
        save_table()
    seconds = time.perf_counter() - start
    return {
        "images": total,
        "written": len(todo),
        "resumed_from": done_before,
        "seconds": round(seconds, 2),
        "images_per_s": round(len(todo) / seconds, 3) if seconds > 0 and todo else None,
        "words": p.words,
        "clip": maker.clip.description,
        "tower": maker.kind,
        "mean_target_probability": round(float(np.mean(probs)), 4) if probs else None,
        "out_dir": str(out_dir),
        **({"selection": str(table_path)} if p.words != "class" else {}),
    }


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Params, CLIP weights, image list, bank (for selected words), background list, and every prompt word in
    the tiny CLIP's vocabulary (wsss_engine/preflight.py)."""
    from ..prompts.preflight import bank_words, tiny_tokenizer

    problems = inputs.Problems()
    problems.collect(ClipCamsParams.for_run, params, config)
    problems.collect(inputs.clip, config, resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "eval"))
    bank_ref = params.get("bank") or config.get("synonym_bank")
    needs_bank = params.get("words") not in (None, "class")
    problems.collect(inputs.synonym_bank, config, resolve_path, bank_ref, needs_bank, "clip_cams")

    def vocabulary():
        tokenizer = tiny_tokenizer(config, resolve_path)
        if tokenizer is None:
            return
        found = bank_words(config, params, resolve_path)
        p = ClipCamsParams.for_run(params, config)
        words = (found[0] if found else []) + background_words(p.background, resolve_path)
        check_vocabulary(tokenizer, [p.settings.template.format(w) for w in words], "clip_cams", "the tiny CLIP")

    problems.collect(vocabulary)
    problems.raise_if_any()


run.preflight = preflight
