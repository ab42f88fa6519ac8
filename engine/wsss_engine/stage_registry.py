"""Which stage types this engine can run: `register_stage` (re-exported by wsss_engine.pipeline) and a lazy
import of wsss_engine.stages' modules, so a missing or broken optional stage module breaks only its own type."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from wsss_engine.pipeline import StageContext

log = logging.getLogger("wsss_engine.stages")

StageFn = Callable[["StageContext", dict], dict]


@dataclass
class StageSpec:
    type_name: str
    run: StageFn
    params_schema: dict[str, Any] | None
    module: str


_STAGES: dict[str, StageSpec] = {}
_BROKEN: dict[str, str] = {}  # module -> why it failed to import
_TRIED: set[str] = set()
_lock = threading.RLock()


def register_stage(type_name: str, params_schema: dict[str, Any] | None = None) -> Callable[[StageFn], StageFn]:
    """Decorator: `@register_stage("baseline_cam")` on `run(ctx, params) -> summary`. A params schema is only
    needed for types outside schemas/run-config.schema.json (plugins); it then validates their params."""

    def decorate(fn: StageFn) -> StageFn:
        _STAGES[type_name] = StageSpec(type_name, fn, params_schema, fn.__module__)
        return fn

    return decorate


def _module_names() -> list[str]:
    from wsss_engine.stages import STAGE_MODULES

    return [n if "." in n else f"wsss_engine.stages.{n}" for n in STAGE_MODULES]


def _try_import(module: str) -> None:
    with _lock:
        if module in _TRIED:
            return
        _TRIED.add(module)
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return  # not written yet: its types are simply unavailable
            _BROKEN[module] = f"{type(exc).__name__}: {exc}"
            log.warning("stage module %s cannot be imported: %s", module, exc)
        except Exception as exc:  # a broken stage must not break the engine
            _BROKEN[module] = f"{type(exc).__name__}: {exc}"
            log.warning("stage module %s cannot be imported: %s", module, exc)


def stage_spec(type_name: str) -> StageSpec | None:
    """The implementation of a stage type: registered already (plugins), else from the module named like the
    type, else from any listed module; None when no module provides it."""
    if type_name not in _STAGES:
        for module in _module_names():
            if module.rsplit(".", 1)[-1] == type_name:
                _try_import(module)
    if type_name not in _STAGES:
        for module in _module_names():
            _try_import(module)
    return _STAGES.get(type_name)


def registered_types() -> dict[str, dict[str, Any] | None]:
    """Types registered so far with their params schemas (plugin types extend the config schema with these)."""
    return {t: s.params_schema for t, s in _STAGES.items()}


def _module_present(type_name: str) -> bool:
    """A listed module named like the type exists (found, not imported: no torch for `validate-config`)."""
    for module in _module_names():
        if module.rsplit(".", 1)[-1] == type_name:
            try:
                if importlib.util.find_spec(module) is not None:
                    return True
            except (ImportError, ValueError):
                pass
    return False


def missing_stage_problems(config: dict[str, Any], import_stages: bool = True) -> list[dict[str, str]]:
    """Stages whose type no module provides, with the import errors that may explain it. `import_stages`
    False accepts a type whose module file exists without importing it (a module that then fails to import
    is reported when a run starts, which always imports)."""
    problems = []
    for i, stage in enumerate(config.get("stages", [])):
        type_name = stage["type"]
        if type_name in _STAGES or (not import_stages and _module_present(type_name)):
            continue
        if stage_spec(type_name) is None:
            broken = "; ".join(f"{m}: {e}" for m, e in _BROKEN.items() if m.endswith("." + type_name))
            why = f" ({broken})" if broken else " (no module of wsss_engine.stages registers it yet)"
            problems.append(
                {
                    "path": f"/stages/{i}/type",
                    "message": f"stage type '{type_name}' is not available in this engine{why}",
                }
            )
    return problems
