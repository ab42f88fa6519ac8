"""How often each candidate word was chosen per class in a POLE prompt selection (METHOD §2.2, paper Fig. 4).

Reads the authors' selection files, which come in two shapes:
- ``{image_id: {class: word}}`` — the project's copy ``data/pole/selected_cls_train_aug.json``, as JSON
  or as a pickle of the same dict;
- ``{image_id: ["a photo of {word}.", ...]}`` — the released ``GPT_v2_4.json`` pickle: one prompt per GT
  class of the image, in ascending class order (METHOD §2.2 step 3). Classes are recovered from the bank:
  each word must belong to a class after the previous word's class; a word that fits several classes in
  that order (e.g. "bike": bicycle or motorbike) is counted as ambiguous, never guessed.

Pickles are loaded with safe_pickle's unpickler that only builds dicts, lists, strings and numbers, so a
hostile file cannot run code. Used by the extension through ``python -m wsss_engine pole-stats PATH [--bank BANK]``,
which prints ``{"source", "format", "images", "counts": {class: {word: n}}, "ambiguous"}`` as JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..errors import DatasetError
from ..json_input import JsonInputError, parse_json_bytes, read_json_file
from ..safe_pickle import unpickle_data

_PROMPT = re.compile(r"^\s*a photo of (?:an? )?(.+?)\.?\s*$", re.IGNORECASE)


def load_selection(path: Path) -> tuple[Any, str]:
    """The selection object and its format ("json" or "pickle")."""
    raw = Path(path).read_bytes()
    if raw[:1] == b"\x80":
        try:
            return unpickle_data(raw), "pickle"
        except Exception as exc:  # pickle raises many types on bad input
            raise DatasetError(
                f"cannot read pickle {path}: {exc}",
                hint="expected a pickled dict {image_id: {class: word}} or {image_id: [prompts]}",
            ) from exc
    try:
        return parse_json_bytes(raw), "json"
    except JsonInputError as exc:
        raise DatasetError(
            f"{path} is neither JSON nor a pickle: {exc}",
            hint="pass the authors' selected_cls_train_aug.json or GPT_v2_4.json",
            path=path,
        ) from exc


def word_of_prompt(prompt: str) -> str:
    """'a photo of dinner table.' -> 'dinner table' (a bare word is returned as is)."""
    m = _PROMPT.match(prompt)
    return (m.group(1) if m else prompt).strip().lower()


def _classes_in_order(words: List[str], bank: Dict[str, List[str]]) -> Optional[List[str]]:
    """The unique strictly ascending class assignment of ``words`` (bank order), or None if not unique."""
    names = list(bank)
    lowered = {c: {w.lower() for w in ws} for c, ws in bank.items()}
    solutions: List[List[str]] = []

    def search(i: int, start: int, chosen: List[str]) -> None:
        if len(solutions) > 1:
            return
        if i == len(words):
            solutions.append(list(chosen))
            return
        for k in range(start, len(names)):
            if words[i] in lowered[names[k]]:
                search(i + 1, k + 1, chosen + [names[k]])

    search(0, 0, [])
    return solutions[0] if len(solutions) == 1 else None


def selection_counts(selection: Any, bank: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    """{"images", "counts": {class: {word: n}}, "ambiguous"} of a selection object."""
    if not isinstance(selection, dict):
        raise DatasetError(
            "a prompt selection must map image ids to their chosen words",
            hint="expected {image_id: {class: word}} or {image_id: [prompts]}",
        )
    counts: Dict[str, Counter] = defaultdict(Counter)
    ambiguous = 0
    for image_id, choice in selection.items():
        if isinstance(choice, dict):
            for cls, word in choice.items():
                counts[str(cls)][word_of_prompt(str(word))] += 1
        elif isinstance(choice, (list, tuple)):
            if bank is None:
                raise DatasetError(
                    f"image {image_id!r} lists prompts without class names",
                    hint="pass --bank with the synonym bank the selection was made from",
                )
            words = [word_of_prompt(str(p)) for p in choice]
            classes = _classes_in_order(words, bank)
            if classes is None:
                ambiguous += len(words)
                continue
            for cls, word in zip(classes, words):
                counts[cls][word] += 1
        else:
            raise DatasetError(f"image {image_id!r} has a {type(choice).__name__}, not a dict or list of prompts")
    return {"images": len(selection), "counts": {c: dict(n) for c, n in sorted(counts.items())}, "ambiguous": ambiguous}


def official_stats(path: Path, bank_path: Optional[Path] = None) -> Dict[str, Any]:
    """What ``pole-stats`` prints for one selection file."""
    selection, fmt = load_selection(Path(path))
    bank = read_json_file(bank_path, "synonym bank", DatasetError) if bank_path else None
    return {"source": str(path), "format": fmt, **selection_counts(selection, bank)}


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m wsss_engine pole-stats`` (also ``python -m wsss_engine.pole.official_stats``)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="wsss_engine pole-stats", description="per-class word counts of a POLE prompt selection, as JSON"
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--bank", type=Path, default=None, help="synonym bank JSON (needed for prompt lists)")
    args = parser.parse_args(argv)
    try:
        result = official_stats(args.path, args.bank)
    except (DatasetError, OSError) as exc:
        print(f"pole-stats: {exc}", file=sys.stderr)
        hint = getattr(exc, "hint", None)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
