"""POLE synonym bank: {class: [ground-truth word first, synonyms...]} (METHOD §2.1).

Validated against the rules shared with the bank editor (schemas/synonym-bank.rules.json, pole/bank_rules.py:
empty lists, blank words, duplicates up to case and spaces are errors; a BOM or padded words are warnings, kept
in `warnings`), against schemas/synonym-bank.schema.json (the same schema VS Code uses) and against the
dataset's classes. A dataset class missing from the bank falls back to its own name (listed in `missing`).
Keys starting with "$" are metadata: "$schema", and "$source" (where a generated bank came from,
pole/bank_sources.py). A class's order is its ranking, so `size` k keeps the first k words (the paper's Fig. 3
sizes 2-5, METHOD §2.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import jsonschema

from ..errors import ConfigInvalid
from ..json_input import read_json_file
from .bank_rules import check_bank, file_has_bom

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "synonym-bank.schema.json"


def _schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class SynonymBank:
    words: dict[str, list[str]]  # every dataset class -> candidates, GT word first
    path: str | None = None
    missing: list[str] = field(default_factory=list)
    source: dict | None = None  # the bank's "$source", when it was generated
    warnings: list[str] = field(default_factory=list)  # the shared rules' warnings, "message (hint)"

    def gt_word(self, cls: str) -> str:
        return self.words[cls][0]

    def candidates(self, cls: str) -> list[str]:
        return self.words[cls]

    @classmethod
    def from_dict(
        cls,
        data: dict,
        classes: Sequence[str],
        path: str | None = None,
        size: int | None = None,
        has_bom: bool = False,
    ) -> "SynonymBank":
        where = path or "<synonym bank>"
        hint = 'fix the bank: {"class": ["ground-truth word", "synonym", ...]} with the dataset\'s class names'
        findings = check_bank(
            {k: v for k, v in data.items() if not k.startswith("$")} if isinstance(data, dict) else {}, has_bom
        )
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            at = f" $[{errors[0].cls!r}]:" if errors[0].cls else ""  # the JSON path, as for schema errors
            raise ConfigInvalid(
                f"{where}:{at} {errors[0].message}",
                hint=errors[0].hint,
                path=path,
                errors=[{"path": f"$[{f.cls!r}]", "message": f.message} for f in errors],
            )
        schema_errors = sorted(jsonschema.Draft7Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
        if schema_errors:
            details = [
                {
                    "path": "$" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in e.path),
                    "message": _plain(e),
                }
                for e in schema_errors
            ]
            raise ConfigInvalid(
                f"{where}: {details[0]['path']}: {details[0]['message']}", hint=hint, path=path, errors=details
            )
        entries = {k: v for k, v in data.items() if not k.startswith("$")}
        unknown = [k for k in entries if k not in classes]
        if unknown:
            raise ConfigInvalid(
                f"{where}: unknown class(es) {unknown}; the dataset's classes are {list(classes)}", hint=hint, path=path
            )
        missing = [c for c in classes if c not in entries]
        if size is not None and size < 1:
            raise ConfigInvalid(f"{where}: bank size {size} keeps no word", hint="use a size of 1 or more", path=path)
        words = {c: [" ".join(w.split()) for w in entries[c]][:size] if c in entries else [c] for c in classes}
        warnings = [f"{f.message} ({f.hint})" for f in findings]
        return cls(words=words, path=path, missing=missing, source=data.get("$source"), warnings=warnings)

    @classmethod
    def load(cls, path: str | Path, classes: Sequence[str], size: int | None = None) -> "SynonymBank":
        path = Path(path)
        if not path.is_file():
            raise ConfigInvalid(
                f"synonym bank {path} does not exist",
                hint="set synonym_bank to a JSON file {class: [words]}",
                path=str(path),
            )
        data = read_json_file(path, "synonym bank", ConfigInvalid, "fix the JSON syntax")
        return cls.from_dict(data, classes, str(path), size, file_has_bom(path))

    @classmethod
    def ground_truth_only(cls, classes: Sequence[str]) -> "SynonymBank":
        """No bank configured: each class is its own single word."""
        return cls(words={c: [c] for c in classes}, missing=list(classes))


def _plain(error: jsonschema.ValidationError) -> str:
    if error.validator == "minItems":
        return "the candidate list is empty; give at least the ground-truth word"
    if error.validator == "uniqueItems":
        return "a word is listed twice"
    if error.validator in ("minLength", "pattern"):
        return "a word is blank"
    return error.message
