"""Train-or-reuse the tiny CLIP: one cached checkpoint per parameter set, with its evaluation report and
calibrated L_CBS threshold stored inside."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import EngineError
from ..safe_pickle import torch_load
from .clip_eval import evaluate_tiny_clip
from .tiny_clip import TINY_CLIP_VERSION, LoadedTinyClip, TinyClipParams, tiny_clip_path, train_tiny_clip


def _valid(path: Path, params: TinyClipParams) -> bool:
    if not path.exists():
        return False
    try:  # tensors and plain data only: a planted file cannot run code
        meta = torch_load(path, EngineError, "tiny CLIP checkpoint", "retrain")
    except EngineError:  # a truncated or foreign file: retrain
        return False
    return meta.get("key") == params.key() and meta.get("version") == TINY_CLIP_VERSION and "report" in meta


def ensure_tiny_clip(
    params: TinyClipParams | None = None,
    cache_dir=None,
    path: str | os.PathLike | None = None,
    progress=None,
    check_cancelled=None,
    metrics=None,
    log=print,
    eval_per_class: int = 60,
) -> Path:
    """Return the path of a trained, evaluated tiny CLIP checkpoint, training it first if not cached."""
    params = params or TinyClipParams()
    path = Path(path) if path else tiny_clip_path(params, cache_dir)
    if _valid(path, params):
        return path
    if log:
        log(f"training tiny CLIP ({params.steps} steps, batch {params.batch}) -> {path}")
    ckpt = train_tiny_clip(params, progress=progress, check_cancelled=check_cancelled, metrics=metrics, log=log)
    report = evaluate_tiny_clip(
        LoadedTinyClip(ckpt), n_per_class=eval_per_class, seed=1000 + params.seed, style=params.style
    )
    ckpt["report"] = report
    ckpt["cbs_threshold"] = report["cbs"]["threshold"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(ckpt, tmp)
    tmp.replace(path)
    return path
