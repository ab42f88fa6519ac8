"""Stage `infer_segmenter`: a trained segmenter's masks for an image list -> <run>/masks/<stage-id>/<id>.png.

Params (schemas/run-config.schema.json `$defs/infer_segmenterParams`; METHOD §5 "test"):
  model       the train_segmenter stage id (-> checkpoints/<id>.pt) or a checkpoint path
  split       "eval" (dataset.eval_list: val for VOC, default), "train" or a list name / path
  scales      [1.0, 0.5, 0.75] (the reference MSC); fusion "max" | "mean"; flip true
  input_size  513: inputs padded bottom/right to at least this (the reference test size); 0/null = no padding
  crf         false | true: dense CRF with the reference parameters (crf_params overrides them; needs the CRF
              package, see refine/crf.py); amp (fp16 on CUDA): default from the config's numerics preset
Writes palette PNGs (0 background, 1..C, no 255) atomically; ids already written are skipped (resume).
The `evaluate` stage scores them with `masks: <this stage's id>` (METHOD §6).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..stage_context import StageContext
from ..data.mask_files import mask_file, save_mask
from ..data.voc import VOCDataset
from ..errors import ConfigInvalid, EngineError, RunFolderError
from ..models.loading import read_checkpoint
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..segmentation.data import normalize_image
from ..segmentation.deeplab import build_segmenter
from ..segmentation.inference import CrfParams, crf_refine, label_map, predict_probs
from ..training.numerics import numerics
from . import inputs, references
from .infer_cams import merge_shares


@dataclass(frozen=True)
class InferSegmenterParams(StageParams, stage="infer_segmenter"):
    nullable = ("input_size",)  # input_size null means "no padding", not "the default"

    split: str
    scales: tuple
    fusion: str
    flip: bool
    input_size: int | None
    crf: bool
    skip_corrupt: bool
    crf_params: tuple = ()
    amp: bool | None = None  # None: the config's numerics preset
    model: str | None = None  # required: from_params says what to give

    @classmethod
    def from_params(cls, params: dict, stage_type: str | None = None) -> "InferSegmenterParams":
        values = cls.values(params)
        values["scales"] = tuple(float(s) for s in values["scales"])
        if isinstance(values.get("crf_params"), dict):
            values["crf_params"] = tuple(sorted(values["crf_params"].items()))
        if values.get("model") is None:
            raise ConfigInvalid(
                "infer_segmenter needs 'model': the id of a train_segmenter stage or a checkpoint",
                hint='add "model": "<train_segmenter stage id>"',
            )
        return cls(**values)

    def crf_settings(self) -> CrfParams:
        return CrfParams(**dict(self.crf_params))


def require_crf_package() -> None:
    """The CRF package is importable, else an EngineError with the install hint (refine/crf.py's)."""
    try:
        from ..refine.crf import require_crf
    except ImportError as exc:
        raise EngineError(
            "CRF post-processing needs wsss_engine.refine.crf, which this engine lacks",
            hint="set crf to false, or update the engine",
        ) from exc
    require_crf()


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The checkpoint (unless a stage of this run trains it), the image list, and the CRF package when crf is on
    (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    problems.collect(inputs.checkpoint, config, params, "model", resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "eval"))
    if params.get("crf"):
        problems.collect(require_crf_package)
    problems.raise_if_any()


def load_segmenter(path: Path, device: torch.device):
    ckpt = read_checkpoint(path)
    meta = ckpt["model_meta"]
    if "arch" not in meta or not str(meta["arch"]).startswith("deeplab"):
        raise RunFolderError(
            f"{path} is not a segmenter checkpoint (arch {meta.get('arch')!r})",
            hint="point 'model' at a train_segmenter stage",
            path=str(path),
        )
    if not ckpt.get("complete", True):
        raise RunFolderError(
            f"segmenter checkpoint {path} is from an unfinished training stage",
            hint="resume the run so train_segmenter completes, then infer",
            path=str(path),
        )
    model = build_segmenter(meta)
    model.load_state_dict(ckpt["model"], strict=True)
    return model.base.to(device).eval(), meta


@register_stage("infer_segmenter")
def run(ctx: StageContext, params: dict) -> dict:
    p = InferSegmenterParams.from_params(params)
    sid = references.stage_id(ctx, params)
    if p.crf:
        require_crf_package()
    checkpoint = references.checkpoint_ref(ctx, params)
    list_name = references.image_list(ctx, params)
    dataset = VOCDataset(
        references.dataset_root(ctx),
        list_name,
        references.dataset_classes(ctx),
        empty_labels="keep",
        skip_corrupt=p.skip_corrupt,
        log=lambda m: ctx.log(m, level="warning"),
    )
    base, meta = load_segmenter(checkpoint, ctx.device)
    if meta["num_classes"] != dataset.num_classes + 1:
        raise ConfigInvalid(
            f"segmenter {checkpoint} predicts {meta['num_classes']} classes but the dataset has "
            f"{dataset.num_classes} + background",
            hint="use a segmenter trained on this dataset",
            path=str(checkpoint),
        )
    out_dir = Path(ctx.run.path) / "masks" / sid
    out_dir.mkdir(parents=True, exist_ok=True)
    mine = dataset.ids[ctx.dist.rank :: ctx.dist.world]  # torchrun: every world-th image from this rank's
    todo = [i for i in mine if not mask_file(out_dir, i).is_file()]
    already, total = len(mine) - len(todo), len(mine)
    ctx.log(
        f"infer_segmenter {sid}: {total} images of {list_name!r} ({already} already written), scales "
        f"{p.scales}, flip {p.flip}, input {p.input_size}, crf {p.crf}, model {checkpoint}"
    )
    crf = p.crf_settings()
    amp = numerics(ctx.config)["infer_amp"] if p.amp is None else p.amp
    written, skipped, start = 0, 0, time.perf_counter()
    skipped_ids: list[str] = []
    for image_id in todo:
        ctx.check_cancelled()
        image = dataset.read_image(image_id)
        if image is None:
            skipped += 1
            skipped_ids.append(image_id)
            continue
        x = torch.from_numpy(np.ascontiguousarray(normalize_image(image, meta["normalization"]).transpose(2, 0, 1)))
        probs = predict_probs(
            base, x.to(ctx.device), scales=p.scales, flip=p.flip, input_size=p.input_size, fusion=p.fusion, amp=amp
        )
        probs = probs.cpu().numpy()
        if p.crf:
            probs = crf_refine(np.asarray(image), probs, crf)
        save_mask(mask_file(out_dir, image_id), label_map(probs))
        written += 1
        ctx.progress(already + written + skipped, total, f"{written} masks written")
    seconds = time.perf_counter() - start
    summary = {
        "images": total,
        "written": written,
        "resumed_from": already,
        "skipped": skipped,
        "skipped_ids": skipped_ids,
        "seconds": round(seconds, 2),
        "images_per_s": round(written / seconds, 3) if seconds > 0 else None,
        "out_dir": str(out_dir),
    }
    if ctx.dist.enabled:
        summary = merge_shares(ctx.all_gather(summary))
    return {**summary, "model": str(checkpoint), "crf": p.crf, "list": list_name}


run.preflight = preflight
