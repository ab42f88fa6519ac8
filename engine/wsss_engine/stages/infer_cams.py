"""Stage `infer_cams`: multi-scale + flip CAMs of an image list -> <run>/cams/<stage-id>/<id>.npy (METHOD §3.1).

Params (InferCamsParams; defaults: schemas/run-config.schema.json `$defs/infer_camsParams`):
  model        id of a baseline_cam / train_clims stage (-> checkpoints/<id>.pt) or a checkpoint path
  split        "train" (dataset.train_list), "eval" (dataset.eval_list) or a list name / path
  scales       the image scales (METHOD §3.1)
  batch_size   images per chunk (their same-sized packs go through the network together)
  num_workers  DataLoader workers (image decoding + rescaling)
  amp          fp16 autocast on CUDA; unset: the config's numerics preset (reference: off, fast: on)
  input_pipeline "reference" (PIL in the workers) | "tensor" (decode + rescale on the device, data/encoded.py)
  channels_last  channels_last network and inputs; bucket_sizes  chunks of one image size (inference/batching.py);
  async_write  CAM files written on a background thread (runs/async_writer.py; identical files)
  skip_corrupt log and skip unreadable images instead of failing; the summary lists them ("skipped",
               "skipped_ids"), and the runs view shows them on the stage
Resumable: an image whose .npy exists is skipped (files are written atomically).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch
from torch.utils.data import DataLoader

from ..data.cam_files import cam_path, save_cam
from ..data.encoded import EncodedVOCDataset, MultiScaleBatches, collate_encoded
from ..data.voc import VOCMultiScaleDataset, collate_as_list
from ..evaluation.multiscale_cams import infer_multiscale
from ..data.tensor_pipeline import check_input_pipeline
from ..inference.batching import header_size, in_order, size_buckets
from ..runs.async_writer import AsyncWriter
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from ..training.numerics import numerics
from . import inputs, references


def infer_cams(
    model: torch.nn.Module,
    dataset: VOCMultiScaleDataset,
    out_dir: Path,
    device: torch.device,
    *,
    batch_size: int = 8,
    num_workers: int = 0,
    amp: bool = True,
    progress: Optional[Callable[..., None]] = None,
    check_cancelled: Optional[Callable[[], None]] = None,
    shard: tuple[int, int] = (0, 1),
    channels_last: bool = False,
    bucket_sizes: bool = False,
    async_write: bool = False,
) -> dict:
    """Write one CAM file per image of `dataset` not yet in `out_dir`; returns a summary.
    shard=(rank, world): only every world-th image from `rank` (torchrun ranks split the list; disjoint shares,
    so every image is written by exactly one rank).
    dataset: a VOCMultiScaleDataset (reference pipeline), or an EncodedVOCDataset whose files are decoded and
    rescaled on `device` (tensor pipeline; its `scales` attribute names the scales)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rank, world = shard
    mine = range(rank, len(dataset), world)
    todo = [i for i in mine if not cam_path(out_dir, dataset.ids[i]).exists()]
    total, already = len(mine), len(mine) - len(todo)
    model = model.to(device).eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    bs = max(1, batch_size)
    if bucket_sizes:
        chunks = size_buckets(todo, [header_size(dataset.image_paths[dataset.ids[i]]) for i in todo], bs)
    else:
        chunks = in_order(todo, bs)
    encoded = isinstance(dataset, EncodedVOCDataset)
    loader = DataLoader(
        dataset,
        batch_sampler=chunks,
        num_workers=num_workers,
        collate_fn=collate_encoded if encoded else collate_as_list,
        pin_memory=device.type == "cuda",
        persistent_workers=False,
    )
    to_items = MultiScaleBatches(dataset, dataset.scales, device) if encoded else None
    written, skipped, start = 0, 0, time.perf_counter()
    skipped_ids: list[str] = []
    if progress:
        progress(already, total, f"{already} already written" if already else "")
    with AsyncWriter(max_pending=4 * bs, enabled=async_write) as writer:
        for batch_index, batch in enumerate(loader):
            if check_cancelled:
                check_cancelled()
            items = (to_items(batch) if batch is not None else []) if encoded else batch
            # skip_corrupt: unreadable images come back as missing items (counted here: workers can't report)
            got = {item["id"] for item in items}
            skipped_ids += [dataset.ids[i] for i in chunks[batch_index] if dataset.ids[i] not in got]
            skipped = len(skipped_ids)
            if channels_last:
                for item in items:
                    item["images"] = [p.contiguous(memory_format=torch.channels_last) for p in item["images"]]
            if items:
                results = infer_multiscale(model, items, device, max_pairs=bs, amp=amp)
                for item, res in zip(items, results):
                    path = cam_path(out_dir, item["id"])
                    writer.submit(save_cam, path, res["keys"].numpy(), res["cam"].numpy(), res["high_res"].numpy())
                written += len(items)
            if progress:
                progress(already + written + skipped, total, f"{written} images")
    seconds = time.perf_counter() - start
    return {
        "images": total,
        "written": written,
        "resumed_from": already,
        "skipped": skipped,
        "skipped_ids": skipped_ids,
        "seconds": round(seconds, 2),
        "images_per_s": round(written / seconds, 3) if seconds > 0 else None,
        "out_dir": str(out_dir),
    }


@dataclass(frozen=True)
class InferCamsParams(StageParams, stage="infer_cams"):
    split: str
    scales: tuple
    batch_size: int
    num_workers: int
    skip_corrupt: bool
    input_pipeline: str  # "reference" | "tensor" (data/encoded.py)
    channels_last: bool
    bucket_sizes: bool  # chunks of one image size (inference/batching.py)
    async_write: bool  # CAM files written on a background thread (runs/async_writer.py)
    model: str | None = None  # references.checkpoint_ref says what is missing
    amp: bool | None = None  # None: the config's numerics preset

    def __post_init__(self) -> None:
        check_input_pipeline(self.input_pipeline)


@register_stage("infer_cams")
def run(ctx: StageContext, params: dict) -> dict:
    from ..models.loading import load_cam_model

    p = InferCamsParams.from_params(params)
    sid = references.stage_id(ctx, params)
    checkpoint = references.checkpoint_ref(ctx, params)
    list_name = references.image_list(ctx, params)
    scales = tuple(float(s) for s in p.scales)
    kind = EncodedVOCDataset if p.input_pipeline == "tensor" else VOCMultiScaleDataset
    dataset = kind(
        references.dataset_root(ctx),
        list_name,
        references.dataset_classes(ctx),
        scales=scales,
        empty_labels="keep",
        skip_corrupt=p.skip_corrupt,
        log=lambda m: ctx.log(m, level="warning"),
    )
    model = load_cam_model(checkpoint, ctx.device)
    if getattr(model, "num_classes", dataset.num_classes) != dataset.num_classes:
        from ..errors import ConfigInvalid

        raise ConfigInvalid(
            f"model {checkpoint} has {model.num_classes} classes but the dataset has {dataset.num_classes}",
            hint="use a checkpoint trained on this dataset's classes",
            path=str(checkpoint),
        )
    ctx.log(f"infer_cams {sid}: {len(dataset)} images of {list_name!r}, scales {scales}, model {checkpoint}")
    progress = ctx.progress
    if ctx.dist.enabled:  # rank 0 reports its share, scaled to the whole list (the shares are equal +-1)
        world, n = ctx.dist.world, len(dataset)
        progress = lambda done, total, message="": ctx.progress(min(done * world, n), n, message)  # noqa: E731
    summary = infer_cams(
        model,
        dataset,
        Path(ctx.run.path) / "cams" / sid,
        ctx.device,
        batch_size=p.batch_size,
        num_workers=p.num_workers,
        amp=bool(numerics(ctx.config)["infer_amp"] if p.amp is None else p.amp),
        progress=progress,
        check_cancelled=ctx.check_cancelled,
        shard=(ctx.dist.rank, ctx.dist.world),
        channels_last=p.channels_last,
        bucket_sizes=p.bucket_sizes,
        async_write=p.async_write,
    )
    if ctx.dist.enabled:  # torchrun: each rank wrote its share; the summary counts them all
        summary = merge_shares(ctx.all_gather(summary))
    summary.update(list=list_name, model=str(checkpoint))
    if summary["skipped_ids"]:
        ctx.log(
            f"infer_cams {sid}: skipped {summary['skipped']} unreadable image(s) (skip_corrupt): "
            f"{', '.join(summary['skipped_ids'][:20])}{' ...' if summary['skipped'] > 20 else ''}",
            "warning",
        )
    return summary


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The model checkpoint (unless an earlier stage trains it) and the image list (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    problems.collect(inputs.checkpoint, config, params, "model", resolve_path)
    problems.collect(inputs.dataset, config, resolve_path, inputs.list_name(config, params, "eval"))
    problems.raise_if_any()


run.preflight = preflight


def merge_shares(shares: list[dict]) -> dict:
    """One summary from the ranks' summaries of their shares of the image list."""
    merged = dict(shares[0])
    for key in ("images", "written", "resumed_from", "skipped"):
        merged[key] = sum(int(s[key]) for s in shares)
    merged["seconds"] = max(float(s["seconds"]) for s in shares)
    merged["skipped_ids"] = [i for s in shares for i in s.get("skipped_ids", [])]
    merged["images_per_s"] = round(merged["written"] / merged["seconds"], 3) if merged["seconds"] > 0 else None
    merged["ranks"] = [{k: s[k] for k in ("images", "written", "resumed_from", "skipped")} for s in shares]
    return merged
