"""Stage `random_walk`: IRN edge maps + random walk of the stride-4 CAMs -> pseudo masks (METHOD §4.3).

Params (schemas/run-config.schema.json `$defs/random_walkParams`):
  cams          id of an infer_cams stage (its stride-4 `cam` maps) or a folder of CAM files
  irn           id of a train_irn stage or a train_irn checkpoint path
  split         "eval" (dataset.eval_list, default; METHOD §4.3 scores train), "train" or a list name / path
  preset        "clims" (bg threshold 0.20, CLIMS / POLE, default) | "irn" (0.25); bg_threshold overrides it
  beta 10, exp_times 8 (2^8 = 256 steps), radius 5
  method        "sparse" (ours, default) | "dense" (the reference's N×N matrix: tests, benchmarks)
  batch_size    images walked together (one block-diagonal sparse transition), default 1: peak memory
                grows with it (~28 MB per 500×375 image), fewer kernel launches on a GPU
Output: <run>/masks/<stage-id>/<image_id>.png (palette, 0 bg, 1..C). Resumable: ids already written are
skipped. Checked at the start, before any work: the IRN checkpoint, a CAM file of the right size per image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..stage_context import StageContext
from ..data.cam_checks import check_cams, load_matching_cam
from ..data.mask_files import mask_file, save_mask
from ..data.transforms import EvalTransform
from ..data.voc import VOCDataset
from ..errors import OutOfMemory, WeightsMissing
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..refine.irn_net import load_irn
from ..refine.random_walk import propagate, semantic_labels
from . import references

PRESETS = {"clims": 0.20, "irn": 0.25}


@dataclass(frozen=True)
class RandomWalkParams(StageParams, stage="random_walk"):
    presets = PRESETS

    split: str
    preset: str
    beta: float
    exp_times: int
    radius: int
    method: str
    batch_size: int
    cams: str | None = None  # references.* say what is missing
    irn: str | None = None
    bg_threshold: float | None = None  # None: the preset's

    @property
    def threshold(self) -> float:
        return PRESETS[self.preset] if self.bg_threshold is None else float(self.bg_threshold)


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Run-start checks of external inputs given by path: the IRN checkpoint, the CAM folder."""
    references.require_external(
        config,
        params,
        "irn",
        resolve_path,
        folder=False,
        what="IRN checkpoint",
        hint="name a train_irn stage of this run or an existing train_irn checkpoint",
        error=WeightsMissing,
    )
    references.require_external(
        config,
        params,
        "cams",
        resolve_path,
        folder=True,
        what="CAM folder",
        hint="name an infer_cams stage of this run or an existing CAM folder",
    )


@register_stage("random_walk")
def run(ctx: StageContext, params: dict) -> dict:
    p = RandomWalkParams.from_params(params)
    sid = references.stage_id(ctx, params)
    cam_dir = references.cams_ref(ctx, params)
    irn_path = references.checkpoint_ref(ctx, params, "irn")
    list_name = references.image_list(ctx, params)
    dataset = VOCDataset(
        references.dataset_root(ctx),
        list_name,
        references.dataset_classes(ctx),
        transform=EvalTransform(),
        empty_labels="keep",
        log=lambda m: ctx.log(m, level="warning"),
    )
    out_dir = Path(ctx.run.path) / "masks" / sid
    todo = [i for i in dataset.ids if not mask_file(out_dir, i).exists()]
    check_cams(cam_dir, {i: dataset.image_paths[i] for i in todo}, "cam", dataset.num_classes, ctx.check_cancelled)
    model = load_irn(irn_path, ctx.device)
    total, already = len(dataset.ids), len(dataset.ids) - len(todo)
    ctx.log(
        f"random_walk {sid}: {total} images of {list_name!r}, CAMs {cam_dir}, IRN {irn_path}, bg threshold "
        f"{p.threshold}, beta {p.beta}, {2**p.exp_times} steps, {p.method}, {already} already written"
    )
    ctx.progress(already, total, f"{already} already written" if already else "")
    start, position = time.perf_counter(), {i: n for n, i in enumerate(dataset.ids)}
    try:
        for b in range(0, len(todo), max(1, p.batch_size)):
            ctx.check_cancelled()
            chunk = todo[b : b + max(1, p.batch_size)]
            items = [dataset[position[i]] for i in chunk]
            edges = [model.edge_map(item["image"].to(ctx.device)) for item in items]
            records = [
                load_matching_cam(cam_dir, i, "cam", item["image"].shape[-2:], dataset.num_classes)
                for i, item in zip(chunk, items)
            ]
            cams = [torch.from_numpy(np.asarray(r["cam"], np.float32)).to(ctx.device) for r in records]
            with torch.no_grad():
                walked = propagate(cams, edges, radius=p.radius, beta=p.beta, exp_times=p.exp_times, method=p.method)
            for image_id, item, record, w in zip(chunk, items, records, walked):
                save_mask(
                    mask_file(out_dir, image_id),
                    semantic_labels(w, record["keys"], tuple(item["image"].shape[-2:]), p.threshold),
                )
            ctx.progress(already + b + len(chunk), total, f"{b + len(chunk)} pseudo masks")
    except torch.cuda.OutOfMemoryError as exc:
        raise OutOfMemory(
            f"random_walk {sid}: out of device memory with {p.batch_size} images per walk",
            hint="lower batch_size (or use method 'sparse')",
        ) from exc
    seconds = time.perf_counter() - start
    return {
        "images": total,
        "written": len(todo),
        "resumed_from": already,
        "bg_threshold": p.threshold,
        "method": p.method,
        "seconds": round(seconds, 2),
        "images_per_s": round(len(todo) / seconds, 3) if seconds > 0 else None,
        "out_dir": str(out_dir),
        "list": list_name,
        "cams": str(cam_dir),
        "irn": str(irn_path),
    }


run.preflight = preflight
