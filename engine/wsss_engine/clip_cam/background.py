"""Background words for the softmax of training-free CAMs (CLIP-ES §3.2, docs/METHOD.md §10.1).

Prompts for things that are not a class ("a photo of sky.") compete with the class prompts, so a class's CAM
loses the pixels that look more like a background thing. Lists are JSON files of words: a name picks one kept
next to this module (`background_<name>.json`; "voc" for PASCAL VOC-like photos, "synthetic" for the synthetic
world's textures), anything else is a path. "none" (or an empty value) uses no background words.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigInvalid
from ..json_input import read_json_file

HERE = Path(__file__).parent


def bundled_lists() -> list[str]:
    return sorted(p.stem.removeprefix("background_") for p in HERE.glob("background_*.json"))


def list_path(value: str, resolve_path=Path) -> Path:
    if value in bundled_lists():
        return HERE / f"background_{value}.json"
    return Path(resolve_path(value))


def background_words(value: str | None, resolve_path=Path) -> list[str]:
    """The background words a `background` param names (a bundled list's name, a JSON file, or none)."""
    if not value or value == "none":
        return []
    path = list_path(value, resolve_path)
    words = read_json_file(path, "background word list", ConfigInvalid, f"use one of {bundled_lists()} or a JSON list")
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ConfigInvalid(
            f"background word list {path} must be a JSON list of non-empty words",
            hint='e.g. ["sky", "grass", "water"]',
            path=str(path),
        )
    return list(dict.fromkeys(w.strip() for w in words))
