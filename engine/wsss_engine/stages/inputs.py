"""The input checks stage preflights share (wsss_engine/preflight.py): each reuses the reader the stage itself
uses (data/layout + VOCDataset, SynonymBank, the weights resolvers), without building a model or downloading.
Each raises the EngineError the stage would raise later; `Problems` gathers several."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigInvalid, DatasetError, EngineError, RunFolderError, WeightsMissing
from ..json_input import read_json_file
from ..preflight import Problems, ResolvePath, memo
from ..runs.config import stage_ids
from .references import config_image_list as list_name
from .references import external_path


def produced_by(config: dict, stage_type: str) -> bool:
    """True when the run has a stage of this type: what it makes (a world, a tiny CLIP) does not exist yet."""
    return any(s["type"] == stage_type for s in config.get("stages", []))


def dataset(config: dict, resolve_path: ResolvePath, list_: str, with_mask: bool = False) -> Any:
    """The VOC-layout dataset a stage will read (root, class list, image list, image files, labels, masks),
    or the DatasetError it would raise; None when a synthetic_world stage of this run makes the dataset."""
    if produced_by(config, "synthetic_world"):
        return None
    from ..data.voc import VOCDataset

    root = config.get("dataset", {}).get("root")
    if not root:
        raise ConfigInvalid("the config has no dataset.root", hint="set dataset.root to a VOC-layout folder")
    classes = config.get("dataset", {}).get("classes")
    key = ("dataset", str(resolve_path(root)), list_, repr(classes), with_mask)  # built once per pass
    if key not in memo:
        try:
            memo[key] = VOCDataset(
                resolve_path(root), list_, classes, with_mask=with_mask, empty_labels="keep", log=lambda _m: None
            )
        except DatasetError as exc:
            if exc.path is None:  # name the root at least
                exc.path = str(resolve_path(root))
            memo[key] = exc
    found = memo[key]
    if isinstance(found, DatasetError):
        raise found
    return found


def classes(config: dict, resolve_path: ResolvePath) -> list[str] | None:
    """The run's class names (root and class list checked), or the DatasetError; None when this run makes
    the dataset."""
    from ..data.layout import resolve_classes, resolve_root

    root = config.get("dataset", {}).get("root")
    if produced_by(config, "synthetic_world"):
        return None
    if not root:
        raise ConfigInvalid("the config has no dataset.root", hint="set dataset.root to a VOC-layout folder")
    return resolve_classes(resolve_root(resolve_path(root)), config.get("dataset", {}).get("classes"))


def dataset_classes(config: dict, resolve_path: ResolvePath) -> list[str] | None:
    """classes(), or None when they cannot be known (the dataset check reports why)."""
    try:
        return classes(config, resolve_path)
    except (DatasetError, ConfigInvalid):
        return None


def synonym_bank(config: dict, resolve_path: ResolvePath, path: str | None, required: bool, who: str) -> None:
    """The bank file exists, is JSON, matches schemas/synonym-bank.schema.json and the dataset's classes."""
    if not path:
        if required:
            raise ConfigInvalid(
                f"{who} needs a synonym bank",
                hint="set the config's synonym_bank (or the stage's "
                "bank) to a JSON file {class: [ground-truth word, synonyms...]}",
            )
        return
    if produced_by(config, "synthetic_world") and not resolve_path(path).exists():
        return  # the world writes its bank.json
    from ..pole.synonym_bank import SynonymBank

    classes = dataset_classes(config, resolve_path)
    if classes is None:  # still check the file and its schema
        SynonymBank.load(resolve_path(path), _bank_keys(resolve_path(path)))
    else:
        SynonymBank.load(resolve_path(path), classes)


def _bank_keys(path: Path) -> list[str]:
    try:
        data = read_json_file(path, "synonym bank")
    except EngineError:
        return []  # SynonymBank.load reports it
    return [k for k in data if k != "$schema"] if isinstance(data, dict) else []


def clip(config: dict, resolve_path: ResolvePath) -> None:
    """The CLIP of the config is loadable without a download when offline: a tiny CLIP checkpoint file, an
    open_clip checkpoint file, or open_clip pretrained weights cached (or their host reachable)."""
    cfg = config.get("clip", {})
    if cfg.get("kind", "open_clip") == "tiny":
        if cfg.get("checkpoint"):
            if not produced_by(config, "train_tiny_clip"):
                _file(
                    resolve_path(cfg["checkpoint"]),
                    WeightsMissing,
                    "tiny CLIP checkpoint",
                    "run the synthetic world's tiny CLIP training first (python -m wsss_engine demo), or point "
                    "clip.checkpoint at its .pt file",
                )
        elif not cfg.get("model_cfg"):
            raise ConfigInvalid(
                "clip.kind is 'tiny' but neither clip.checkpoint nor clip.model_cfg is set",
                hint="set clip.checkpoint to the tiny CLIP .pt written by the synthetic world",
            )
        return
    import open_clip
    from ..models.clip_model import locate_pretrained

    name = cfg.get("model", "ViT-B-32")
    if name not in open_clip.list_models():
        raise ConfigInvalid(f"unknown open_clip model {name!r}", hint="see open_clip.list_models(), e.g. ViT-B-32")
    if cfg.get("checkpoint"):
        _file(
            resolve_path(cfg["checkpoint"]),
            WeightsMissing,
            f"CLIP {name} checkpoint",
            "point clip.checkpoint at an open_clip-format state dict for this model",
        )
    elif cfg.get("pretrained"):
        locate_pretrained(name, cfg["pretrained"], cfg.get("cache_dir"))


def backbone_weights(options: dict) -> None:
    """ImageNet weights of a fresh ResNet-50: a local file, or torchvision's cached (or reachable) download."""
    if options.get("name", "resnet50") == "resnet50" and options.get("pretrained"):
        from ..models.resnet import locate_imagenet_weights

        locate_imagenet_weights(options["pretrained"])


def checkpoint(config: dict, params: dict, key: str, resolve_path: ResolvePath) -> None:
    """`key` names an earlier stage (made by this run) or a stage checkpoint file that must exist."""
    path = external_path(config, params, key, resolve_path)
    if path is not None:
        _file(
            path,
            RunFolderError,
            f"'{key}' checkpoint",
            "run the training stage first, or point the param at an existing checkpoint",
        )


def folder(config: dict, params: dict, key: str, producer: str, resolve_path: ResolvePath) -> None:
    """`key` names an earlier stage (made by this run) or a folder that must exist."""
    path = external_path(config, params, key, resolve_path)
    if path is not None and not path.is_dir():
        raise DatasetError(
            f"'{key}' folder {path} does not exist",
            hint=f"use the id of a {producer} stage of this run, or the path of an existing folder",
            path=str(path),
        )


def package(module: str, why: str) -> None:
    """An optional Python package the stage imports."""
    if importlib.util.find_spec(module) is None:
        raise ConfigInvalid(
            f"the Python package '{module}' is not installed ({why})",
            hint=f"install it into the engine's environment (pip install {module})",
        )


def dataclass_params(cls: type, params: dict, what: str) -> None:
    """The params a stage builds a dataclass from (e.g. WorldParams) are accepted by it."""
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        cls(**{k: v for k, v in params.items() if k in names})
    except (TypeError, ValueError) as exc:
        raise ConfigInvalid(f"{what} params are invalid: {exc}", hint="fix the stage's params") from exc


def _file(path: Path, error: Callable[..., Exception], what: str, hint: str) -> None:
    if not path.is_file():
        raise error(f"{what} {path} does not exist", hint=hint, path=str(path))


__all__ = [
    "Problems",
    "stage_ids",
    "produced_by",
    "list_name",
    "dataset",
    "synonym_bank",
    "clip",
    "backbone_weights",
    "checkpoint",
    "folder",
    "package",
    "classes",
    "dataclass_params",
]
