"""Stage `ir_labels`: CAMs -> IR labels (confident fg / bg / ignore) as palette PNGs (METHOD §4.1).

Params (schemas/run-config.schema.json `$defs/ir_labelsParams`):
  cams          id of an infer_cams stage (-> cams/<id>/, its `high_res` maps) or a folder of CAM files
  split         "train" (dataset.train_list, default), "eval" or a list name / path
  preset        "clims" (fg 0.30 / bg 0.10, CLIMS / POLE, default) | "irn" (0.30 / 0.05)
  fg_threshold, bg_threshold   override the preset
  crf           {"gt_prob": 0.7, "iterations": 10} (IRN `crf_inference_label`; pairwise terms as the reference)
  num_workers   processes for the CPU-bound CRF (0: in the engine process, default)
Output: <run>/masks/<stage-id>/<image_id>.png (0 bg, 1..C, 255 ignore). Resumable: ids already written are
skipped. Checked at the start, before any work: the CRF package loads; every image still to do has a CAM
file whose `high_res` has the image's size and classes of this dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


from ..stage_context import StageContext
from ..data.cam_checks import check_cams
from ..data.mask_files import mask_file
from ..data.voc import VOCDataset
from ..errors import ConfigInvalid, DatasetError
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..refine.crf import require_crf
from ..refine.ir_labels import PRESETS, write_ir_label
from . import references


@dataclass(frozen=True)
class IrLabelsParams(StageParams, stage="ir_labels"):
    presets = PRESETS

    split: str
    preset: str
    crf: dict
    num_workers: int
    cams: str | None = None  # references.cams_ref says what is missing
    fg_threshold: float | None = None  # None: the preset's
    bg_threshold: float | None = None

    @property
    def gt_prob(self) -> float:
        return float(self.crf["gt_prob"])

    @property
    def iterations(self) -> int:
        return int(self.crf["iterations"])

    def thresholds(self) -> tuple[float, float]:
        fg, bg = PRESETS[self.preset]
        return (
            fg if self.fg_threshold is None else self.fg_threshold,
            bg if self.bg_threshold is None else self.bg_threshold,
        )


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Run-start checks of external inputs: the CRF package; a CAM folder given by path."""
    require_crf()
    references.require_external(
        config,
        params,
        "cams",
        resolve_path,
        folder=True,
        what="CAM folder",
        hint="name an infer_cams stage of this run or an existing CAM folder",
    )


def label_images(jobs: list[dict], workers: int, check_cancelled):
    """write_ir_label over the jobs, in this process (workers 0) or in `workers` spawned processes (the CRF is
    CPU-bound and single-threaded); yields results as they complete, checking cancellation between them."""
    if workers <= 0:
        for job in jobs:
            check_cancelled()
            yield write_ir_label(job)
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = {pool.submit(write_ir_label, job) for job in jobs}
        try:
            while pending:
                check_cancelled()
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


@register_stage("ir_labels")
def run(ctx: StageContext, params: dict) -> dict:
    p = IrLabelsParams.from_params(params)
    require_crf()
    sid = references.stage_id(ctx, params)
    cam_dir = references.cams_ref(ctx, params)
    fg, bg = p.thresholds()
    if not 0 <= bg <= fg <= 1:
        raise ConfigInvalid(
            f"ir_labels thresholds must satisfy 0 <= bg ({bg}) <= fg ({fg}) <= 1",
            hint="the background-confident threshold is the lower one (METHOD §4.1)",
        )
    list_name = references.image_list(ctx, params, default="train")
    dataset = VOCDataset(
        references.dataset_root(ctx),
        list_name,
        references.dataset_classes(ctx),
        empty_labels="keep",
        log=lambda m: ctx.log(m, level="warning"),
    )
    out_dir = Path(ctx.run.path) / "masks" / sid
    todo = [i for i in dataset.ids if not mask_file(out_dir, i).exists()]
    check_cams(cam_dir, {i: dataset.image_paths[i] for i in todo}, "high_res", dataset.num_classes, ctx.check_cancelled)
    total, already = len(dataset.ids), len(dataset.ids) - len(todo)
    ctx.log(
        f"ir_labels {sid}: {total} images of {list_name!r}, CAMs {cam_dir}, fg {fg} / bg {bg}, "
        f"{already} already written"
    )
    ctx.progress(already, total, f"{already} already written" if already else "")
    jobs = [
        {
            "image": str(dataset.image_paths[i]),
            "cam_dir": str(cam_dir),
            "image_id": i,
            "out": str(mask_file(out_dir, i)),
            "num_classes": dataset.num_classes,
            "fg": fg,
            "bg": bg,
            "crf": {"gt_prob": p.gt_prob, "iterations": p.iterations},
        }
        for i in todo
    ]
    start, ignored, pixels = time.perf_counter(), 0, 0
    for n, result in enumerate(label_images(jobs, p.num_workers, ctx.check_cancelled)):
        if isinstance(result, dict):  # an EngineError in a worker: re-raise it here, with its hint and file
            raise DatasetError(result["message"], hint=result["hint"], path=result.get("path"))
        ignored, pixels = ignored + result[0], pixels + result[1]
        ctx.progress(already + n + 1, total, f"{n + 1} IR labels")
    seconds = time.perf_counter() - start
    return {
        "images": total,
        "written": len(todo),
        "resumed_from": already,
        "fg_threshold": fg,
        "bg_threshold": bg,
        "ignore_fraction": round(ignored / pixels, 4) if pixels else None,
        "seconds": round(seconds, 2),
        "images_per_s": round(len(todo) / seconds, 3) if seconds > 0 else None,
        "out_dir": str(out_dir),
        "list": list_name,
        "cams": str(cam_dir),
    }


run.preflight = preflight
