"""A base run config on the SYNTHETIC world, built from the demo's variant configs (synthetic/variants.py) so
that an experiment and the demo run the same stages: baseline CAM -> CAMs -> evaluate -> CAMs of the training
list -> POLE selection (METHOD §2.2) -> CLIMS of the chosen demo variant -> CAMs -> evaluate (then, asked for, IRN's refinement half and the
segmenter), in ONE run (the
demo splits it over run folders; an experiment shares the common part itself, share.py).
The world and the tiny CLIP are ensured (generated or read from the cache) as the demo does."""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..errors import ConfigInvalid


def _dataclass(cls: type, values: dict[str, Any], what: str) -> Any:
    names = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigInvalid(
            f"experiment base.synthetic.{what}: unknown field(s) {', '.join(unknown)}",
            f"known fields: {', '.join(sorted(names))}",
        )
    # JSON has no tuples: the dataclasses' tuple fields (scales, variant lists) take lists
    try:
        return cls(
            **{
                k: tuple(v) if isinstance(v, list) and isinstance(names[k].default, tuple) else v
                for k, v in values.items()
            }
        )
    except ValueError as e:
        raise ConfigInvalid(f"experiment base.synthetic.{what}: {e}", "fix the value in the experiment file") from e


def synthetic_base(spec: dict[str, Any], base_dir: Path, log=None) -> dict[str, Any]:
    """The run config (seed 0; each run sets its own) of `spec` = the experiment's base.synthetic."""
    from ..synthetic.clip_cache import ensure_tiny_clip
    from ..synthetic.tiny_clip import TinyClipParams
    from ..synthetic.variants import (
        Budget,
        baseline_config,
        clims_config,
        refine_stages,
        segmenter_stages,
    )
    from ..synthetic.world import WorldParams, ensure_world

    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    cache = spec.get("cache_dir")
    cache_dir = (base_dir / cache).resolve() if cache else None
    world = ensure_world(_dataclass(WorldParams, spec.get("world", {}), "world"), cache_dir, log=log)
    clip = ensure_tiny_clip(_dataclass(TinyClipParams, spec.get("tiny_clip", {}), "tiny_clip"), cache_dir, log=log)
    budget = _dataclass(Budget, spec.get("budget", {}), "budget")
    variant = spec.get("variant", "clims_gt")
    config = baseline_config(0, world, clip, budget, with_selection=variant != "baseline")
    model = "baseline"
    if variant != "baseline":
        for stage in config["stages"]:  # the baseline's own CAMs + evaluation keep distinct ids
            if stage["id"] in ("cams", "eval"):
                stage["id"] += "_base"
            if stage.get("cams") == "cams":
                stage["cams"] = "cams_base"
        clims = clims_config(variant, 0, world, clip, budget, Path("."), Path("."))
        clims["stages"][0]["init"] = "baseline"  # this run's stage instead of the demo's other run folder
        if "selection" in clims["stages"][0]:
            clims["stages"][0]["selection"] = "select"
        config = {**clims, "stages": config["stages"] + clims["stages"]}
        model = "clims"
    if spec.get("refine") or spec.get("segment"):
        config["stages"] += refine_stages(model, budget, config["dataset"]["image_size"])
    if spec.get("segment"):  # the segmenter on the +RW masks, scored on val (METHOD §5)
        config["stages"] += segmenter_stages("rw", budget, config["dataset"]["image_size"], model)
    config["name"] = f"synthetic-{variant}"
    return config
