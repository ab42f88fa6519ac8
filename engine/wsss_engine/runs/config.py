"""Run configs: read JSON, validate against schemas/run-config.schema.json, fill defaults, resolve paths.

Problems are reported as [{"path": JSON pointer ("/stages/2/type", "" = the whole file), "message"}], the
shape of `config/validate` and of ConfigInvalid's error data.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from wsss_engine.errors import ConfigInvalid
from wsss_engine.json_input import json_pointer, read_json_file, unusable_values

SCHEMA_ENV = "WSSS_ENGINE_SCHEMAS"  # folder holding run-config.schema.json, for installs outside the repo
PATH_KEYS = (("dataset", "root"), ("synonym_bank",), ("clip", "checkpoint"))  # resolved against the config folder


@dataclass
class LoadedConfig:
    """A validated config with defaults filled and known paths made absolute."""

    config: dict[str, Any]
    path: Path | None  # the config file, None when the config came from elsewhere

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


NOT_STAGE_PARAMS = ("id", "type", "description")


def stage_params(stage: dict[str, Any]) -> dict[str, Any]:
    """What a stage function gets as `params` (the config is stored with schema defaults filled)."""
    return {k: v for k, v in stage.items() if k not in NOT_STAGE_PARAMS}


def stage_ids(config: dict[str, Any]) -> set[str]:
    """Ids of the run's stages: a param with one of these values names that stage's output, not a file."""
    return {s["id"] for s in config.get("stages", [])}


def schema_dir() -> Path:
    env = os.environ.get(SCHEMA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[3] / "schemas"


@lru_cache(maxsize=1)
def base_schema() -> dict[str, Any]:
    path = schema_dir() / "run-config.schema.json"
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        raise ConfigInvalid(
            f"the run-config schema {path} cannot be read: {exc.strerror or exc}",
            f"reinstall the engine from the repository, or set {SCHEMA_ENV} to the folder "
            "that holds run-config.schema.json",
            path,
        ) from exc


def engine_schema(extra_types: dict[str, dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """The repo schema plus stage types registered by plugins (each with its params schema, or open)."""
    schema = base_schema()
    known = schema["$defs"]["stage"]["properties"]["type"]["enum"]
    extra = {t: s for t, s in (extra_types or {}).items() if t not in known}
    if not extra:
        return schema
    schema = copy.deepcopy(schema)
    stage = schema["$defs"]["stage"]
    for type_name, params_schema in extra.items():
        stage["properties"]["type"]["enum"].append(type_name)
        schema["$defs"][f"{type_name}Params"] = params_schema or {"type": "object", "additionalProperties": True}
        stage["allOf"].append(
            {
                "if": {"type": "object", "properties": {"type": {"const": type_name}}, "required": ["type"]},
                "then": {"$ref": f"#/$defs/{type_name}Params"},
            }
        )
    return schema


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The file's JSON object, or ConfigInvalid naming the file (and line/column of a syntax error)."""
    path = Path(path)
    raw = read_json_file(path, "run config", ConfigInvalid, "fix the JSON syntax at that position")
    if not isinstance(raw, dict):
        raise ConfigInvalid(
            f"run config {path} must be a JSON object",
            "see schemas/run-config.schema.json",
            path,
            [{"path": "", "message": "the config must be a JSON object"}],
        )
    return raw


def config_problems(raw: Any, schema: dict[str, Any]) -> list[dict[str, str]]:
    """Schema errors plus the rules a schema cannot say (unique stage ids), sorted by path."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for e in validator.iter_errors(raw):
        path = list(e.absolute_path)
        if e.validator == "unevaluatedProperties" and len(path) == 2 and path[0] == "stages":
            continue  # reported per key below, at the key's own path
        message = e.message
        if e.validator in ("oneOf", "anyOf") and isinstance(e.schema, dict) and e.schema.get("description"):
            message += f"; expected: {e.schema['description']}"
        problems.append({"path": json_pointer(path), "message": message})
    # NaN / Infinity / NUL characters, which JSON Schema cannot say (files are refused when parsed; this covers
    # configs built in Python)
    problems += [{"path": p, "message": why} for p, why in unusable_values(raw)]
    stages = raw.get("stages", []) if isinstance(raw, dict) else []
    seen: dict[str, int] = {}
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        if not isinstance(stage, dict):
            continue
        sid = stage.get("id")
        if isinstance(sid, str):
            if sid in seen:
                problems.append(
                    {
                        "path": f"/stages/{i}/id",
                        "message": f"duplicate stage id '{sid}' (also used by stage {seen[sid]})",
                    }
                )
            seen.setdefault(sid, i)
        problems += _unknown_stage_params(i, stage, schema)
    unique = {(p["path"], p["message"]): p for p in problems}
    return sorted(unique.values(), key=lambda p: p["path"])


def _unknown_stage_params(index: int, stage: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, str]]:
    """Keys a stage type's params schema does not declare, once its author closed it (no additionalProperties)."""
    params = schema["$defs"].get(f"{stage.get('type')}Params") if isinstance(stage.get("type"), str) else None
    if params is None or params.get("additionalProperties", False) is not False:
        return []  # open: the stage author has not listed every parameter yet
    known = set(schema["$defs"]["stage"]["properties"]) | set(params.get("properties", {}))
    return [
        {
            "path": f"/stages/{index}/{json_pointer([k])[1:]}",
            "message": f"unknown parameter '{k}' for a '{stage['type']}' stage; known: {', '.join(sorted(known))}",
        }
        for k in stage
        if k not in known
    ]


def fill_defaults(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A copy of `value` with the `default` of every absent property filled, through $ref and stage params."""
    schema = _deref(schema, root)
    if isinstance(value, dict):
        out = dict(value)
        for key, sub in schema.get("properties", {}).items():
            sub = _deref(sub, root)
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = fill_defaults(out[key], sub, root)
        stage_type = out.get("type")
        is_stage = schema is root.get("$defs", {}).get("stage")
        params_def = root["$defs"].get(f"{stage_type}Params") if is_stage else None
        if params_def:
            out = fill_defaults(out, params_def, root)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [fill_defaults(v, schema["items"], root) for v in value]
    return value


def fill_section(name: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """A top-level config section (e.g. "clip") with the schema's defaults filled: for a run folder's
    config.json that did not come through the loader (written by hand)."""
    root = base_schema()
    return fill_defaults(dict(value or {}), root["properties"][name], root)


def _deref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return root["$defs"][ref[len("#/$defs/") :]]
    return schema


def resolve_paths(config: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Known path fields made absolute against the config's folder (stage params use ctx.resolve_path)."""
    out = copy.deepcopy(config)
    for keys in PATH_KEYS:
        holder = out
        for k in keys[:-1]:
            holder = holder.get(k) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(keys[-1]), str):
            p = Path(os.path.expanduser(holder[keys[-1]]))
            holder[keys[-1]] = str(p if p.is_absolute() else (base_dir / p).resolve())
    return out


def load_config(path: str | Path, extra_types: dict[str, dict[str, Any] | None] | None = None) -> LoadedConfig:
    """Read, validate, fill defaults, resolve paths; ConfigInvalid with every problem when it does not validate."""
    path = Path(path).absolute()
    raw = read_config_file(path)
    return validate_config(raw, path, extra_types)


def validate_config(
    raw: dict[str, Any], path: Path | None, extra_types: dict[str, dict[str, Any] | None] | None = None
) -> LoadedConfig:
    schema = engine_schema(extra_types)
    problems = config_problems(raw, schema)
    if problems:
        where = path or "run config"
        first = problems[0]
        raise ConfigInvalid(
            f"{where}: {len(problems)} problem(s); first at {first['path'] or '(root)'}: {first['message']}",
            "fix the listed fields (schemas/run-config.schema.json describes each one)",
            path,
            problems,
        )
    loaded = LoadedConfig(fill_defaults(raw, schema, schema), path)
    loaded.config = resolve_paths(loaded.config, loaded.base_dir)
    return loaded
