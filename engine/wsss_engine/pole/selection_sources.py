"""The word table `train_clims` trains with (prompt "selected"): {image id: {class: word}} (METHOD §2.2 step 4).

Three sources, told apart by their content:
- ours: `<run>/selection/prompt_selection.json` written by select_prompts ({"images": {id: {class: {"word"}}}});
- the authors' selection as {image id: {class: word}} (`data/pole/selected_cls_train_aug.json`), JSON or pickle;
- the authors' released `GPT_v2_4.json` pickle: {id without "_": ["a photo of {word}.", ...]}, one prompt per
  ground-truth class of the image in ascending class order (§2.2 step 3). The classes come from the image's
  own labels, so words shared by two classes ("bike") need no guessing.
Pickles go through official_stats' data-only unpickler: a hostile file cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from ..errors import ConfigInvalid
from .official_stats import load_selection, word_of_prompt


def read_word_table(
    path: Path, labels: Mapping[str, Sequence[int]], classes: Sequence[str]
) -> tuple[dict[str, dict[str, str]], str]:
    """(table for the ids of `labels` found in the file, source name). `labels`: id -> GT class indices."""
    obj, fmt = load_selection(Path(path))
    if isinstance(obj, dict) and isinstance(obj.get("images"), dict):
        return {i: {c: e["word"] for c, e in per.items()} for i, per in obj["images"].items()}, "prompt_selection"
    if not isinstance(obj, dict):
        raise ConfigInvalid(
            f"selection file {path} holds a {type(obj).__name__}, not a mapping of image ids",
            hint="use a prompt_selection.json, selected_cls_train_aug.json or GPT_v2_4.json",
            path=str(path),
        )
    known = set(classes)
    table: dict[str, dict[str, str]] = {}
    for image_id, gt in labels.items():
        choice = obj.get(image_id, obj.get(image_id.replace("_", "")))  # the pickle drops the underscore
        if choice is None:
            continue
        if isinstance(choice, dict):
            unknown = [c for c in choice if c not in known]
            if unknown:
                raise ConfigInvalid(
                    f"selection file {path}: image {image_id} names unknown classes {unknown}",
                    hint=f"class names must be the dataset's: {', '.join(classes)}",
                    path=str(path),
                )
            table[image_id] = {str(c): word_of_prompt(str(w)) for c, w in choice.items()}
        elif isinstance(choice, (list, tuple)):
            present = [classes[k] for k in sorted(gt)]
            if len(choice) != len(present):
                raise ConfigInvalid(
                    f"selection file {path}: image {image_id} has {len(choice)} prompt(s) but "
                    f"{len(present)} labelled class(es) {present}",
                    hint="the file belongs to another label set or image list",
                    path=str(path),
                )
            table[image_id] = {c: word_of_prompt(str(p)) for c, p in zip(present, choice)}
        else:
            raise ConfigInvalid(
                f"selection file {path}: image {image_id} has a {type(choice).__name__}, not a "
                "{class: word} dict or a list of prompts",
                path=str(path),
            )
    return table, f"authors' selection ({fmt})"
