"""The synonym-bank rules shared with the bank editor (schemas/synonym-bank.rules.json): one verdict per rule
(error or warning) and one message + hint per rule, so that the editor never accepts what a run rejects
(issue 13, "One set of rules"). SynonymBank.from_dict raises the errors and keeps the warnings; the editor's
extension/panels/synonyms/bankRules.ts reads the same file. The drift tests check both against the examples
the rules file carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from ..json_input import UTF8_BOM
from ..runs.config import schema_dir

RULES_FILE = "synonym-bank.rules.json"  # beside run-config.schema.json (schemas/, or $WSSS_ENGINE_SCHEMAS)


@lru_cache(maxsize=1)
def rules() -> dict[str, dict[str, Any]]:
    """rule id -> {"severity", "message", "hint", "example"} (a file of this repository, read once)."""
    with open(schema_dir() / RULES_FILE, encoding="utf-8") as f:
        return json.load(f)["rules"]


@dataclass(frozen=True)
class BankFinding:
    rule: str
    severity: str  # "error" | "warning", from the rules file
    cls: str | None
    message: str
    hint: str


def word_key(word: str) -> str:
    """Equal keys = the same word for the rules (the rules file's "wordKey")."""
    return " ".join(word.lower().split())


def _finding(rule: str, cls: str | None = None, word: str = "", other: str = "") -> BankFinding:
    r = rules()[rule]
    message = r["message"].replace("{class}", cls or "").replace("{word}", word).replace("{other}", other)
    return BankFinding(rule, r["severity"], cls, message, r["hint"])


def check_bank(entries: Mapping[str, Any], has_bom: bool = False) -> list[BankFinding]:
    """Every rule finding of the class entries (metadata keys already dropped), in file order. Values that are
    not lists of strings are left to the JSON Schema."""
    found = [_finding("bom")] if has_bom else []
    for cls, words in entries.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            continue
        if not words:
            found.append(_finding("emptyWordList", cls))
        seen: dict[str, str] = {}
        for word in words:
            key = word_key(word)
            if not key:
                found.append(_finding("blankWord", cls))
                continue
            if word != " ".join(word.split()):
                found.append(_finding("paddedWord", cls, word))
            if key in seen:
                first = seen[key]
                found.append(
                    _finding("duplicateWord", cls, word)
                    if first == word
                    else _finding("caseDuplicate", cls, first, word)
                )
            else:
                seen[key] = word
    return found


def file_has_bom(path: str | Path) -> bool:
    """Whether the file starts with a UTF-8 byte order mark (read_json_file drops it silently)."""
    with open(path, "rb") as f:
        return f.read(len(UTF8_BOM)) == UTF8_BOM
