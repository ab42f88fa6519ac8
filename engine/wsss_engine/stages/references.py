"""What a stage param that names an artefact refers to: an earlier stage's id, or a path.

Stage params may name an earlier stage of the same run by id (docs/ARCHITECTURE.md, "Run config"), or an
artefact of another run folder by path (relative paths resolve against the config file's folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigInvalid, WeightsMissing
from ..runs.config import stage_ids
from ..runs.run_folder import checkpoint_file

if TYPE_CHECKING:  # torch-free at import: run preflights use this module
    from ..stage_context import StageContext


def stage_id(ctx: StageContext, params: dict) -> str:
    value = params.get("id") or getattr(ctx, "stage_id", None)
    if not value:
        raise ConfigInvalid("stage has no id", hint="give every stage a unique id")
    return str(value)


def earlier_stage_ids(ctx: StageContext) -> set:
    return {s.get("id") for s in ctx.config.get("stages", [])}


def external_path(config: dict, params: dict, key: str, resolve_path) -> Path | None:
    """For run-start checks (a stage's `preflight`): the path param `key` names, or None when it is unset or
    names an earlier stage of the run (whose artefact does not exist yet)."""
    value = params.get(key)
    if not value or value in stage_ids(config):
        return None
    return Path(resolve_path(value))


def require_external(
    config: dict,
    params: dict,
    key: str,
    resolve_path,
    *,
    folder: bool,
    what: str,
    hint: str,
    error: type = ConfigInvalid,
) -> None:
    """Preflight: raise `error` naming the path unless the folder / file that param `key` names by path exists."""
    path = external_path(config, params, key, resolve_path)
    if path is not None and not (path.is_dir() if folder else path.is_file()):
        raise error(f"{what} {path} ('{key}') does not exist", hint=hint, path=str(path))


def require_backbone_checkpoint(config: dict, params: dict, resolve_path) -> None:
    """Preflight of `backbone_from` (train_irn, train_segmenter): a checkpoint path must exist (a stage id of this
    run is checked when that stage runs)."""
    require_external(
        config,
        params,
        "backbone_from",
        resolve_path,
        folder=False,
        what="checkpoint",
        hint="name a baseline_cam / train_clims stage or an existing checkpoint",
        error=WeightsMissing,
    )


def checkpoint_ref(ctx: StageContext, params: dict, key: str = "model") -> Path:
    """`model`: a baseline_cam / train_clims stage id -> <run>/checkpoints/<id>.pt; else a .pt path."""
    value = params.get(key)
    if not value:
        raise ConfigInvalid(
            f"stage {stage_id(ctx, params)!r} needs '{key}': the id of a baseline_cam or "
            "train_clims stage, or a checkpoint path",
            hint=f'add "{key}": "<stage id>" to the stage',
        )
    if value in earlier_stage_ids(ctx):
        return checkpoint_file(ctx.run.path, value)
    return Path(ctx.resolve_path(value))


def artefact_ref(ctx: StageContext, params: dict, key: str, folder: str, producer: str) -> Path:
    """A per-stage artefact folder: an earlier stage id -> <run>/<folder>/<id>/; anything else is a path."""
    value = params.get(key)
    if not value:
        raise ConfigInvalid(
            f"stage {stage_id(ctx, params)!r} needs '{key}': the id of a {producer} stage or a folder",
            hint=f'add "{key}": "<stage id>" to the stage',
        )
    if value in earlier_stage_ids(ctx):
        return Path(ctx.run.path) / folder / value
    return Path(ctx.resolve_path(value))


def cams_ref(ctx: StageContext, params: dict, key: str = "cams") -> Path:
    """`cams`: an infer_cams stage id -> <run>/cams/<id>/; else a folder of CAM .npy files."""
    return artefact_ref(ctx, params, key, "cams", "infer_cams")


def image_list(ctx: StageContext, params: dict, default: str = "eval") -> str:
    """`split`: "train" -> dataset.train_list, "eval" -> dataset.eval_list; anything else is a list name/path."""
    return config_image_list(ctx.config, params, default)


def config_image_list(config: dict, params: dict, default: str = "eval") -> str:
    """image_list from the config alone (run preflight checks have no StageContext)."""
    split = params.get("list") or params.get("split") or default
    dataset = config.get("dataset", {})
    if split == "train":
        return dataset.get("train_list", "train_aug")
    if split == "eval":
        return dataset.get("eval_list", "train")
    return split


def dataset_root(ctx: StageContext) -> Path:
    root = ctx.config.get("dataset", {}).get("root")
    if not root:
        raise ConfigInvalid("the config has no dataset.root", hint="set dataset.root to a VOC-layout folder")
    return Path(ctx.resolve_path(root))


def dataset_classes(ctx: StageContext):
    """dataset.classes as VOCDataset takes it: "voc", a list, or None (classes.json / VOC)."""
    return ctx.config.get("dataset", {}).get("classes")
