"""A run config for this engine: the schema (runs/config.py), the stage types this engine has
(stage_registry.py) and the device. Imports no torch, so `validate-config` starts in well under a second;
the pipeline re-exports these for run start, which imports the stage modules."""

from __future__ import annotations

from pathlib import Path

from wsss_engine.errors import ConfigInvalid
from wsss_engine.runs.config import LoadedConfig, load_config, read_config_file, validate_config
from wsss_engine.json_input import read_json_file
from wsss_engine.runs.portable_paths import resolve_stored, stored_config_base
from wsss_engine.stage_registry import missing_stage_problems, registered_types

# Devices that exist on every machine: checking them needs no torch ("auto" falls back to the CPU).
_ALWAYS_AVAILABLE = ("auto", "cpu")


def load_run_config(path: str | Path, import_stages: bool = True) -> LoadedConfig:
    """load_config + the stage types this engine has (ConfigInvalid lists every problem). `import_stages`
    False checks built-in types by their module's presence only (stage_registry.missing_stage_problems)."""
    loaded = load_config(path, registered_types())
    _raise_missing_stages(loaded, import_stages)
    return loaded


def load_stored_config(run_path: Path, config_path: str | None = None) -> LoadedConfig:
    """The config a run was started with (<run>/config.json), the one place a run's stored config is read: its
    relative paths resolve against runs/portable_paths.py stored_config_base (the run folder; for runs written
    before configBase, the folder of run.json's configPath, `config_path` when given)."""
    run_path = Path(run_path).absolute()
    record_file = run_path / "run.json"
    record = read_json_file(record_file, "run record") if record_file.is_file() else {}
    record = record if isinstance(record, dict) else {}
    if config_path is not None:
        record = {**record, "configPath": config_path}
    raw = read_config_file(run_path / "config.json")
    base = stored_config_base(run_path, record)
    # LoadedConfig.base_dir is the path's folder: the stored config.json when the run folder is the base.
    origin = run_path / "config.json" if base == run_path else resolve_stored(record["configPath"], run_path)
    loaded = validate_config(raw, origin, registered_types())
    _raise_missing_stages(loaded, True)
    return loaded


def _raise_missing_stages(loaded: LoadedConfig, import_stages: bool) -> None:
    problems = missing_stage_problems(loaded.config, import_stages)
    if problems:
        raise ConfigInvalid(
            f"{loaded.path}: {problems[0]['message']}",
            "install or fix the stage's module, or remove the stage from the config",
            loaded.path,
            problems,
        )


def check_device(name: str) -> None:
    """ConfigInvalid when this machine lacks the config's device; torch is imported only for cuda/mps."""
    if name in _ALWAYS_AVAILABLE:
        return
    from wsss_engine.device import resolve_device

    resolve_device(name)


def config_file_problems(path: str | Path, import_stages: bool = True) -> list[dict[str, str]]:
    """Every problem of a config file for this engine: schema, stage types, device; [] when it can run."""
    try:
        loaded = load_run_config(path, import_stages)
        check_device(loaded.config["device"])
    except ConfigInvalid as exc:
        return exc.errors or [{"path": "", "message": exc.message}]
    return []
