"""Which stage types this engine can run: a table of the built-in types, each provided by the module of the same
name under wsss_engine.stages, and `register_stage`, the decorator those modules and plugins register with.

A built-in module is imported when a run first needs its type (not before: `validate-config`, `protocol` and
`--help` start without torch, engine/tests/test_cli_startup.py); one that fails to import makes only its own
type unavailable, with the import error in the message. Adding a stage: its module under wsss_engine/stages/
with `@register_stage("<type>")`, its type in BUILTIN_STAGES and its params in schemas/run-config.schema.json."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from wsss_engine.stage_context import StageContext

log = logging.getLogger("wsss_engine.stages")

StageFn = Callable[["StageContext", dict], dict]

# Built-in stage type -> the module that registers it (wsss_engine.stages.<type>).
BUILTIN_STAGES: dict[str, str] = {
    name: f"wsss_engine.stages.{name}"
    for name in (
        "synthetic_world",
        "train_tiny_clip",
        "select_prompts",
        "baseline_cam",
        "train_clims",
        "infer_cams",
        "evaluate",
        "export_onnx",
        "ir_labels",
        "train_irn",
        "random_walk",
        "train_segmenter",
        "infer_segmenter",
    )
}


@dataclass
class StageSpec:
    type_name: str
    run: StageFn
    params_schema: dict[str, Any] | None
    module: str


_STAGES: dict[str, StageSpec] = {}
_BROKEN: dict[str, str] = {}  # built-in type -> why its module failed to import


def register_stage(type_name: str, params_schema: dict[str, Any] | None = None) -> Callable[[StageFn], StageFn]:
    """Decorator: `@register_stage("baseline_cam")` on `run(ctx, params) -> summary`. A params schema is only
    needed for types outside schemas/run-config.schema.json (plugins); it then validates their params."""

    def decorate(fn: StageFn) -> StageFn:
        _STAGES[type_name] = StageSpec(type_name, fn, params_schema, fn.__module__)
        return fn

    return decorate


def stage_spec(type_name: str) -> StageSpec | None:
    """The implementation of a stage type: registered already (plugins, built-ins used before), else imported
    from its built-in module; None when there is none or its module does not import."""
    module = BUILTIN_STAGES.get(type_name)
    if type_name not in _STAGES and module is not None:
        try:
            importlib.import_module(module)
            _BROKEN.pop(type_name, None)
        except Exception as exc:  # a broken stage must not break the engine
            _BROKEN[type_name] = f"{module}: {type(exc).__name__}: {exc}"
            log.warning("stage module %s cannot be imported: %s", module, exc)
    return _STAGES.get(type_name)


def registered_types() -> dict[str, dict[str, Any] | None]:
    """Types registered so far with their params schemas (plugin types extend the config schema with these)."""
    return {t: s.params_schema for t, s in _STAGES.items()}


def missing_stage_problems(config: dict[str, Any], import_stages: bool = True) -> list[dict[str, str]]:
    """Stages whose type this engine cannot run, with the import error that explains it. `import_stages` False
    accepts every built-in type without importing its module (one that then fails to import is reported when
    a run starts, which always imports)."""
    problems = []
    for i, stage in enumerate(config.get("stages", [])):
        type_name = stage["type"]
        if type_name in _STAGES or (not import_stages and type_name in BUILTIN_STAGES):
            continue
        if stage_spec(type_name) is None:
            why = (
                f" ({_BROKEN[type_name]})" if type_name in _BROKEN else " (neither built in nor registered by a plugin)"
            )
            problems.append(
                {
                    "path": f"/stages/{i}/type",
                    "message": f"stage type '{type_name}' is not available in this engine{why}",
                }
            )
    return problems
