"""The experiment file (`*.wsss-experiment.json`, schemas/experiment.schema.json): read, validate, typed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ConfigInvalid
from ..json_input import read_json_file
from ..runs.config import config_problems, schema_dir

FILE_SUFFIX = ".wsss-experiment.json"
FIGURES = ("cam", "ir", "rw", "seg")  # evaluate stages the table can read; "cam" also gives "cam_best"
HINT = "fix the listed fields (schemas/experiment.schema.json describes each one; docs/EXPERIMENTS.md)"


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    patch: dict[str, Any] = field(default_factory=dict)
    sets: dict[str, Any] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)  # percent, the paper's value per figure


@dataclass(frozen=True)
class Experiment:
    path: Path
    name: str
    description: str
    base: str | dict[str, Any]
    variants: tuple[Variant, ...]
    seeds: tuple[int, ...]
    reference: str
    figures: dict[str, str]
    published_source: str
    share: bool

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def stem(self) -> str:
        name = self.path.name
        return name[: -len(FILE_SUFFIX)] if name.endswith(FILE_SUFFIX) else self.path.stem

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)


@lru_cache(maxsize=1)
def experiment_schema() -> dict[str, Any]:
    path = schema_dir() / "experiment.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def load_experiment(path: str | Path) -> Experiment:
    """The experiment at `path`, or ConfigInvalid naming the file with every problem (JSON pointers)."""
    path = Path(path).absolute()
    raw = read_json_file(path, "experiment file", ConfigInvalid, "fix the JSON syntax at that position")
    problems = config_problems(raw, experiment_schema()) if isinstance(raw, dict) else []
    if not isinstance(raw, dict):
        problems = [{"path": "", "message": "the experiment must be a JSON object"}]
    if not problems:
        problems = _rule_problems(raw)
    if problems:
        first = problems[0]
        raise ConfigInvalid(
            f"experiment {path}: {len(problems)} problem(s); first at {first['path'] or '(root)'}: {first['message']}",
            HINT,
            path,
            problems,
        )
    variants = tuple(
        Variant(v["name"], v.get("label", v["name"]), v.get("patch", {}), v.get("set", {}), v.get("published", {}))
        for v in raw["variants"]
    )
    return Experiment(
        path=path,
        name=raw["name"],
        description=raw.get("description", ""),
        base=raw["base"],
        variants=variants,
        seeds=tuple(raw["seeds"]),
        reference=raw["reference"],
        figures=dict(raw.get("figures") or {"cam": "eval"}),
        published_source=raw.get("published_source", ""),
        share=bool(raw.get("share", True)),
    )


def _rule_problems(raw: dict[str, Any]) -> list[dict[str, str]]:
    """What the schema cannot say: unique variant names, a reference among them."""
    problems, seen = [], set()
    for i, v in enumerate(raw["variants"]):
        if v["name"] in seen:
            problems.append({"path": f"/variants/{i}/name", "message": f"duplicate variant name '{v['name']}'"})
        seen.add(v["name"])
    if raw["reference"] not in seen:
        problems.append(
            {
                "path": "/reference",
                "message": f"reference '{raw['reference']}' is not a variant; variants: {', '.join(sorted(seen))}",
            }
        )
    return problems
