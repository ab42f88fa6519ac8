"""An experiment's variants as run configs: base + override (JSON merge patch, then JSON-pointer sets), the
seed set, paths made absolute, and every config validated against the run-config schema and this engine's
stage types before any run starts (an error names the variant and the field)."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigInvalid
from ..runs.config import read_config_file, resolve_paths, validate_config
from ..stage_registry import missing_stage_problems, registered_types
from .spec import HINT, Experiment, Variant


@dataclass
class PlannedRun:
    """One variant at one seed: its run name (<variant>-s<seed>) and full, validated run config."""

    variant: str
    seed: int
    config: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.variant}-s{self.seed}"


def base_config(exp: Experiment, log=None) -> tuple[dict[str, Any], Path]:
    """(the base run config with absolute paths, the folder its relative paths were relative to)."""
    if isinstance(exp.base, str):
        path = Path(os.path.expanduser(exp.base))
        path = path if path.is_absolute() else (exp.folder / path).resolve()
        raw = read_config_file(path)
        return absolute_paths(raw, path.parent), path.parent
    from .synthetic_base import synthetic_base

    return synthetic_base(exp.base["synthetic"], exp.folder, log), exp.folder


def absolute_paths(config: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """The config's known path fields, and any stage param naming an existing file relative to `base_dir`,
    made absolute: the expanded configs live in the experiment folder, not beside the base config."""
    out = resolve_paths(config, base_dir)
    ids = {s.get("id") for s in out.get("stages", []) if isinstance(s, dict)}

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, str) and value not in ids and value and not os.path.isabs(value):
            candidate = base_dir / os.path.expanduser(value)
            if candidate.exists():
                return str(candidate.resolve())
        return value

    for stage in out.get("stages", []):
        if isinstance(stage, dict):
            for key, value in stage.items():
                if key not in ("id", "type", "description"):
                    stage[key] = fix(value)
    return out


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def set_pointer(config: dict[str, Any], pointer: str, value: Any, where: str) -> None:
    """RFC 6901 pointer set; null removes the key or list element (a whole stage: /stages/<id>); below /stages a
    segment may be a stage id."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    holder: Any = config
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(holder, list):
            index = _list_index(holder, part, parts[:i], where, pointer)
            if last:
                if value is None:
                    del holder[index]
                else:
                    holder[index] = copy.deepcopy(value)
                return
            holder = holder[index]
        elif isinstance(holder, dict):
            if last:
                if value is None:
                    holder.pop(part, None)
                else:
                    holder[part] = copy.deepcopy(value)
                return
            if part not in holder:
                holder[part] = {}
            holder = holder[part]
        else:
            raise ConfigInvalid(
                f"{where}: pointer {pointer} goes through a value that is neither an object nor a list",
                "point at an object's key or a list element (a stage by id: /stages/<id>/<param>)",
            )


def _list_index(items: list, part: str, parents: list[str], where: str, pointer: str) -> int:
    if parents == ["stages"]:
        for i, stage in enumerate(items):
            if isinstance(stage, dict) and stage.get("id") == part:
                return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    ids = [s.get("id") for s in items if isinstance(s, dict)] if parents == ["stages"] else []
    raise ConfigInvalid(
        f"{where}: pointer {pointer}: no element '{part}'"
        + (f"; stage ids: {', '.join(map(str, ids))}" if ids else ""),
        "name an existing stage id or index",
    )


def variant_config(base: dict[str, Any], variant: Variant, seed: int, exp: Experiment) -> dict[str, Any]:
    where = f"experiment {exp.path}: variant '{variant.name}'"
    config = merge_patch(copy.deepcopy(base), variant.patch)
    for pointer, value in variant.sets.items():
        set_pointer(config, pointer, value, where)
    config["seed"] = seed
    config["name"] = f"{exp.name}: {variant.label} (seed {seed})"
    return absolute_paths(config, exp.folder)  # a variant's own relative paths: against the experiment file


def expand(exp: Experiment, log=None) -> list[PlannedRun]:
    """Every (variant, seed) run config, validated; ConfigInvalid naming the first bad variant."""
    base, _ = base_config(exp, log)
    runs = []
    for variant in exp.variants:
        for seed in exp.seeds:
            config = variant_config(base, variant, seed, exp)
            check_variant(config, variant, exp)
            runs.append(PlannedRun(variant.name, seed, config))
    return runs


def check_variant(config: dict[str, Any], variant: Variant, exp: Experiment) -> None:
    where = f"experiment {exp.path}: variant '{variant.name}'"
    try:
        loaded = validate_config(config, None, registered_types())
    except ConfigInvalid as exc:
        raise ConfigInvalid(
            f"{where} is not a valid run config: {exc.errors[0]['path'] or '(root)'}: {exc.errors[0]['message']}",
            f"fix the variant's patch/set (or the base config); {HINT}",
            exp.path,
            [{"path": p["path"], "message": f"variant '{variant.name}': {p['message']}"} for p in exc.errors],
        ) from None
    problems = missing_stage_problems(loaded.config)
    stages = {s["id"]: s["type"] for s in loaded.config["stages"]}
    problems += [
        {"path": "/figures", "message": f"figure '{fig}' names stage '{sid}', which is not an evaluate stage"}
        for fig, sid in exp.figures.items()
        if stages.get(sid) != "evaluate"
    ]
    if problems:
        raise ConfigInvalid(
            f"{where}: {problems[0]['message']}",
            "use the id of an evaluate stage of the run config in 'figures', or add the stage",
            exp.path,
            [{"path": p["path"], "message": f"variant '{variant.name}': {p['message']}"} for p in problems],
        )
