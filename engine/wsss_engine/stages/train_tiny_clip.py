"""Stage `train_tiny_clip`: train (or reuse) the tiny CLIP on the SYNTHETIC world (synthetic/tiny_clip.py).

Params: seed, steps, batch, lr, weight_decay, pool_size, input_size, gt_scene_rate (synthetic.tiny_clip.
TinyClipParams); cache_dir (as synthetic_world). The checkpoint is cached outside the run (it is shared by runs);
summary: {"checkpoint", "cbs_threshold", "zero_shot_gt_masked", "zero_shot_best_masked", ...}: point a later
run's clip.checkpoint at it (clip.kind "tiny").
"""

from __future__ import annotations

from ..stage_context import StageContext
from ..stage_params import param_values
from ..stage_registry import register_stage
from ..synthetic.clip_cache import ensure_tiny_clip
from ..synthetic.tiny_clip import TinyClipParams, load_tiny_clip
from . import inputs
from .synthetic_world import cache_dir


@register_stage("train_tiny_clip")
def run(ctx: StageContext, params: dict) -> dict:
    tp = TinyClipParams(**param_values(TinyClipParams, "train_tiny_clip", params))
    path = ensure_tiny_clip(
        tp,
        cache_dir(ctx, params),
        progress=ctx.progress,
        check_cancelled=ctx.check_cancelled,
        metrics=ctx.metrics,
        log=ctx.log,
    )
    report = load_tiny_clip(path).meta["report"]
    keys = ("zero_shot_gt_full", "zero_shot_gt_masked", "zero_shot_best_full", "zero_shot_best_masked")
    return {
        "checkpoint": str(path),
        "cbs_threshold": report["cbs"]["threshold"],
        "synthetic": True,
        **{k: report[k] for k in keys},
        "gap_best_minus_gt": report["gap_best_minus_gt"],
        "synonym_gap": report.get("synonym_gap"),  # docs/SYNTHETIC-WORLD.md (absent in version-1 checkpoints)
    }


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Needs no input file (it makes the tiny CLIP, cached by its params); its params must build TinyClipParams."""
    inputs.dataclass_params(TinyClipParams, params, "tiny CLIP")


run.preflight = preflight
