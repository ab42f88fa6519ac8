"""Typed stage parameters: every stage turns its `params` into a frozen dataclass at the top of `run`
(`XParams.from_params(params)`, a `StageParams` subclass), so a default lives in one place,
schemas/run-config.schema.json `$defs/<type>Params` (the config loader fills the same defaults; they are filled
here too for params built by hand, e.g. in tests).

A dataclass field has a default only when the schema has none: `None` ("not set"; the stage decides what that
means, e.g. "the config's numerics preset") or, for a param the stage requires, nothing at all, which makes a
missing value a ConfigInvalid naming it. engine/tests/test_stage_params.py keeps the dataclasses and the
schema in step."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Mapping, TypeVar

from wsss_engine.errors import ConfigInvalid
from wsss_engine.runs.config import base_schema, fill_defaults

__all__ = ["StageParams", "param_values", "schema_defaults"]

P = TypeVar("P", bound="StageParams")


class StageParams:
    """Base of a stage's params dataclass: `@dataclass(frozen=True) class XParams(StageParams, stage="x")`.
    `nullable`: fields where a null given in the config means something (see `param_values`); `presets`: when
    set, the `preset` param must name one of them."""

    stage_type: ClassVar[str] = ""
    nullable: ClassVar[tuple[str, ...]] = ()
    presets: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, stage: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.stage_type = stage or cls.stage_type

    @classmethod
    def from_params(cls: type[P], params: dict[str, Any], stage_type: str | None = None) -> P:
        """The typed params of a `stage_type` stage (default: the class's own type)."""
        return cls(**cls.values(params, stage_type))

    @classmethod
    def values(cls, params: dict[str, Any], stage_type: str | None = None) -> dict[str, Any]:
        """`param_values` for this class: what a `from_params` that converts some values starts from."""
        stage_type = stage_type or cls.stage_type
        values = param_values(cls, stage_type, params, cls.nullable)
        if cls.presets and values.get("preset") not in cls.presets:
            raise ConfigInvalid(
                f"unknown {stage_type} preset {values.get('preset')!r}", hint=f"use one of {sorted(cls.presets)}"
            )
        return values


def _filled(stage_type: str, params: dict[str, Any]) -> dict[str, Any]:
    root = base_schema()
    params_def = root["$defs"].get(f"{stage_type}Params")
    if params_def is None:
        raise KeyError(f"schemas/run-config.schema.json has no $defs/{stage_type}Params")
    return fill_defaults(params, params_def, root)  # nested defaults too (e.g. ir_labels' crf)


def schema_defaults(stage_type: str) -> dict[str, Any]:
    """The schema's default of every param of `stage_type` that has one (a fresh copy)."""
    return _filled(stage_type, {})


def param_values(cls: type, stage_type: str, params: dict[str, Any], nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The keyword arguments of `cls` (a dataclass of a `stage_type` stage's params): each field's value from
    `params`, else the schema default. A null counts as unset unless the field is in `nullable` (where null
    means something, e.g. "no padding"). A list becomes a tuple (a frozen dataclass holds no mutable list;
    dicts are passed as they are)."""
    names = [f.name for f in dataclasses.fields(cls)]
    given = {k: params[k] for k in names if k in params and (params[k] is not None or k in nullable)}
    values = {k: _frozen(v) for k, v in _filled(stage_type, given).items() if k in names}
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigInvalid(
            f"a {stage_type} stage needs {', '.join(repr(m) for m in missing)}",
            hint=f"add {', '.join(repr(m) for m in missing)} to the stage (schemas/run-config.schema.json "
            f"$defs/{stage_type}Params says what each means)",
        )
    return values


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
