"""Stage `synthetic_world`: generate (or reuse) the SYNTHETIC world, a VOC-layout dataset (synthetic/world.py).

Params: seed, image_size, n_train_aug, n_train, n_val (synthetic.world.WorldParams), cache_dir (default the
config's `cache_dir`, else $WSSS_CACHE, else ~/.cache/wsss-studio). Summary: {"root", "key", "bank", "synthetic"}:
point dataset.root / synonym_bank of a later run at them (the demo does this, synthetic/variants.py).
"""

from __future__ import annotations

from pathlib import Path

from ..stage_context import StageContext
from ..stage_params import param_values
from ..stage_registry import register_stage
from ..synthetic.world import WorldParams, ensure_world, load_world_meta
from . import inputs


def cache_dir(ctx: StageContext, params: dict) -> Path | None:
    """The stage's `cache_dir`, else the config's; None: synthetic.world.default_cache_dir decides."""
    where = params.get("cache_dir") or ctx.config.get("cache_dir")
    return ctx.resolve_path(where) if where else None


@register_stage("synthetic_world")
def run(ctx: StageContext, params: dict) -> dict:
    wp = WorldParams(**param_values(WorldParams, "synthetic_world", params))
    root = ensure_world(
        wp, cache_dir(ctx, params), progress=lambda d, n: (ctx.check_cancelled(), ctx.progress(d, n)), log=ctx.log
    )
    meta = load_world_meta(root)
    return {
        "root": str(root),
        "key": meta["key"],
        "bank": str(root / "bank.json"),
        "synthetic": True,
        "splits": meta["splits"],
    }


def preflight(config: dict, params: dict, resolve_path) -> None:
    """Needs no input file (it makes the world, cached by its params); its params must build WorldParams."""
    inputs.dataclass_params(WorldParams, params, "world")


run.preflight = preflight
