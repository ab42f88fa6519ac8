"""On resume: stages that already ran with other parameters than the config now asks for.

A resumed run keeps every completed stage. That is right only when the stage would run the same way again. When a
resume brings an edited config (`wsss_engine run --resume --config ...`, an experiment rerun into the same folder
after its file changed), a completed stage whose entry in the config differs from the one it ran with (the run's
config.json) would keep its old results under the new parameters, and so would every stage that reads its output.
pipeline.prepare_run refuses such a resume with the list; nothing in the folder is touched. A stage that failed
or was cancelled may be resumed with changed parameters: that is how a failure is fixed (a smaller batch after
running out of memory, a corrected path).

Both configs go through the same validation (today's defaults filled in) and the same portable form (paths
relative to the run folder), so a default added by a newer engine or a moved run folder is not a change.
"""

from __future__ import annotations

from typing import Any

from .config import stage_ids, stage_params

MAX_SHOWN = 4  # differing keys named per stage


def _references(stage: dict[str, Any], ids: set[str]) -> set[str]:
    """Ids of stages that `stage` names anywhere in its params (its inputs)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value in ids:
            found.add(value)

    walk(stage_params(stage))
    return found


def _runs_as(stage: dict[str, Any]) -> dict[str, Any]:
    """What decides a stage's results: its type and params (not its id or description)."""
    return {"type": stage["type"], **stage_params(stage)}


def _diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k, "<unset>") != new.get(k, "<unset>"))
    shown = [f"{k} {old.get(k, '<unset>')!r} -> {new.get(k, '<unset>')!r}" for k in keys[:MAX_SHOWN]]
    return ", ".join(shown) + (f" and {len(keys) - MAX_SHOWN} more" if len(keys) > MAX_SHOWN else "")


def stale_stages(ran: dict[str, Any], config: dict[str, Any], done: set[str]) -> list[tuple[str, str]]:
    """(stage id, why) for each stage in `done` (ids of completed stages) whose type or parameters in `config`
    (the config now) differ from `ran` (the config it ran with), or that reads the output of such a stage or of a
    stage that will run again with changed parameters. Stages in config order: inputs come before their users."""
    before = {s["id"]: _runs_as(s) for s in ran["stages"]}
    ids = stage_ids(config)
    changed: dict[str, str] = {}
    for s in config["stages"]:
        sid, now = s["id"], _runs_as(s)
        if sid in before and before[sid] != now:
            changed[sid] = f"its parameters changed: {_diff(before[sid], now)}"
            continue
        moved = sorted(_references(s, ids) & set(changed))
        if moved:
            changed[sid] = f"it reads {', '.join(moved)}, which changed"
    return [(sid, why) for sid, why in changed.items() if sid in done]


def stale_message(run_path: str, stale: list[tuple[str, str]]) -> tuple[str, str]:
    """(message, hint) of the refused resume."""
    lines = "; ".join(f"{sid} ({why})" for sid, why in stale)
    message = (
        f"cannot resume {run_path} with this config: {len(stale)} stage(s) already ran with other parameters, "
        f"and resuming would keep their old results: {lines}"
    )
    hint = (
        "start a new run folder with this config, or resume with the parameters those stages ran with "
        f"(they are in {run_path}/config.json; resume without --config to use it)"
    )
    return message, hint
