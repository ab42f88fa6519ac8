"""Work that is identical across an experiment's runs, run once (docs/EXPERIMENTS.md, "Sharing").

A stage's key hashes its entry (description left out), the keys of the stages it references, and the parts
of the config it reads: everything but name/description/stages, and the synonym bank and CLIP only for the
stages that use them (select_prompts, train_clims and stage types this file does not know). A key found in
two or more runs is shared: it runs once, in a shared run of the first run that has it
(<exp>/shared/<variant>-s<seed>/), and later runs reference its artefact by path, as stage params may
(docs/ARCHITECTURE.md, "Run config"). Only stage types with such an artefact are shared (ARTEFACTS), so
evaluate stages never are: each run keeps its own reports.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .expand import PlannedRun
from ..stage_registry import BUILTIN_STAGES

# Where a stage type's artefact is, as a path param may name it (docs/ARCHITECTURE.md, "Run folder").
ARTEFACTS = {
    "baseline_cam": "checkpoints/{id}.pt",
    "train_clims": "checkpoints/{id}.pt",
    "train_irn": "checkpoints/{id}.pt",
    "train_segmenter": "checkpoints/{id}.pt",
    "infer_cams": "cams/{id}",
    "ir_labels": "masks/{id}",
    "random_walk": "masks/{id}",
    "infer_segmenter": "masks/{id}",
    "select_prompts": "selection/prompt_selection.json",
}
PROMPT_FILE = "prompts/{id}.pt"  # prompt_strategy.init_from names a train_clims stage's learned prompts
# Built-in stage types that read the synonym bank or CLIP; every other built-in reads neither. A plugin's
# type is in neither set, so it counts as a reader (its runs are shared only when those keys agree too).
PROMPT_READERS = {"select_prompts", "train_clims", "train_tiny_clip", "clip_cams"}
PROMPT_READERS_UNKNOWN_OK = set(BUILTIN_STAGES) - PROMPT_READERS  # stage types that read neither
PROMPT_KEYS = ("synonym_bank", "synonym_bank_size", "clip")


@dataclass
class Unit:
    """One run folder of the experiment: a shared run or a variant's run, with the config it runs."""

    name: str  # "shared/<run>" or "runs/<run>": also its folder below the experiment folder
    kind: str  # "shared" | "variant"
    seed: int
    config: dict[str, Any]
    variant: str | None = None
    needs: list[str] = field(default_factory=list)  # units whose artefacts it references


NOT_REFERENCES = ("id", "type", "description", "split", "list")  # "split": "eval" is a list, even beside a stage "eval"


def _references(stage: dict[str, Any], ids: set[str]) -> list[tuple[tuple[str, ...], str]]:
    """(param path, referenced stage id) for every string param naming one of `ids` (the earlier stages)."""
    found = []

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + (k,))
        elif isinstance(value, str) and value in ids:
            found.append((path, value))

    for key, value in stage.items():
        if key not in NOT_REFERENCES:
            walk(value, (key,))
    return found


def explicit_selection(config: dict[str, Any]) -> dict[str, Any]:
    """train_clims reads the run's own selection when `selection` is unset: name the select_prompts stage."""
    config = copy.deepcopy(config)
    last_select = None
    for stage in config["stages"]:
        if stage["type"] == "select_prompts":
            last_select = stage["id"]
        if stage["type"] == "train_clims" and stage.get("prompt") in ("selected", "online") and last_select:
            stage.setdefault("selection", last_select)
    return config


def stage_keys(config: dict[str, Any]) -> list[str]:
    common = {k: v for k, v in config.items() if k not in ("name", "description", "stages")}
    keys: dict[str, str] = {}
    out = []
    for stage in config["stages"]:
        entry = {k: v for k, v in stage.items() if k != "description"}
        for path, ref in _references(stage, set(keys)):
            holder = entry
            for part in path[:-1]:
                holder = holder[part] = dict(holder[part])
            holder[path[-1]] = {"$stage": keys[ref]}
        context = (
            {k: v for k, v in common.items() if k not in PROMPT_KEYS}
            if stage["type"] in PROMPT_READERS_UNKNOWN_OK
            else common
        )
        blob = json.dumps({"config": context, "stage": entry}, sort_keys=True)
        keys[stage["id"]] = hashlib.sha256(blob.encode()).hexdigest()[:16]
        out.append(keys[stage["id"]])
    return out


def plan_units(runs: list[PlannedRun], experiment_dir: Path, share: bool = True) -> list[Unit]:
    """The experiment's run folders in execution order: each seed's shared runs, then its variants' runs."""
    runs = [PlannedRun(r.variant, r.seed, explicit_selection(r.config)) for r in runs]
    keys = [stage_keys(r.config) for r in runs]
    count: dict[str, int] = {}
    for ks in keys:
        for k in set(ks):
            count[k] = count.get(k, 0) + 1
    owner: dict[str, int] = {}  # shared key -> index of the first run that has it
    for i, (run, ks) in enumerate(zip(runs, keys)):
        ids = set()
        by_id = {}
        for stage, k in zip(run.config["stages"], ks):
            deps = [by_id[ref] for _, ref in _references(stage, ids)]
            shareable = (
                share
                and count[k] > 1
                and stage["type"] in ARTEFACTS  # later runs can name its artefact by path
                and all(d in owner for d in deps)  # what it reads is shared too
            )
            if shareable:
                owner.setdefault(k, i)
            ids.add(stage["id"])
            by_id[stage["id"]] = k
    # a shared stage's artefact must be addressable by path from the runs that reference it
    location: dict[str, tuple[str, str]] = {}  # key -> (unit name, stage id in that unit)
    shared_units, variant_units = {}, []
    for i, (run, ks) in enumerate(zip(runs, keys)):
        mine = [s for s, k in zip(run.config["stages"], ks) if owner.get(k) == i]
        if mine:
            name = f"shared/{run.name}"
            for s, k in zip(run.config["stages"], ks):
                if owner.get(k) == i:
                    location[k] = (name, s["id"])
            config = _subset(run.config, mine, ks, location, name, experiment_dir)
            config["name"] = f"shared: {', '.join(st['id'] for st in mine)} (seed {run.seed})"
            shared_units[i] = Unit(name, "shared", run.seed, config)
        rest = [s for s, k in zip(run.config["stages"], ks) if k not in owner]
        name = f"runs/{run.name}"
        variant_units.append(
            Unit(name, "variant", run.seed, _subset(run.config, rest, ks, location, name, experiment_dir), run.variant)
        )
    for unit in list(shared_units.values()) + variant_units:
        unit.needs = sorted(unit.config.pop("$needs"))
    order = []
    for seed in dict.fromkeys(r.seed for r in runs):
        order += [u for u in shared_units.values() if u.seed == seed]
        order += [u for u in variant_units if u.seed == seed]
    return order


def _subset(
    config: dict[str, Any],
    stages: list[dict[str, Any]],
    keys: list[str],
    location: dict[str, tuple[str, str]],
    unit: str,
    experiment_dir: Path,
) -> dict[str, Any]:
    """`config` with only `stages`; references to stages run in another unit become paths to their artefacts."""
    key_of = {s["id"]: k for s, k in zip(config["stages"], keys)}
    type_of = {s["id"]: s["type"] for s in config["stages"]}
    order = [s["id"] for s in config["stages"]]
    kept = {s["id"] for s in stages}
    needs = set()
    out_stages = []
    for stage in stages:
        earlier = set(order[: order.index(stage["id"])])
        stage = copy.deepcopy(stage)
        for path, ref in _references(stage, earlier - kept):
            other_unit, other_id = location[key_of[ref]]
            pattern = PROMPT_FILE if path[-1] == "init_from" else ARTEFACTS[type_of[ref]]
            holder = stage
            for part in path[:-1]:
                holder = holder[part]
            holder[path[-1]] = str(experiment_dir / other_unit / pattern.format(id=other_id))
            needs.add(other_unit)
        out_stages.append(stage)
    return {**copy.deepcopy(config), "stages": out_stages, "$needs": needs - {unit}}
