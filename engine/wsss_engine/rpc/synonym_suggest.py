"""Engine request `synonyms/suggest` (docs/ARCHITECTURE.md, protocol): candidate words per class from WordNet
or a word-vector file, for the synonym-bank editor's "generate or extend" command (METHOD §2.1, Fig. 3).

{classes, source: "wordnet" | "vectors", size, vectors?} -> {suggestions: {class: [words]}}

Each class's list starts with its prompt word and is ranked (pole/bank_sources.py); the editor shows the
words it does not have yet as suggestions. A missing WordNet database or a vector file that does not load is
a ConfigInvalid error naming it. The WordNet reader and the last vector file stay loaded in this process.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import ConfigInvalid
from .server import register_request

_lock = threading.Lock()  # one generation at a time (loading a database or a vector file is heavy)


def suggest_words(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    from ..pole.bank_sources import suggest

    classes = params["classes"]
    if not all(isinstance(c, str) and c for c in classes):
        raise ConfigInvalid(
            "synonyms/suggest: classes must be a list of class names", hint='send e.g. ["aeroplane", "sofa"]'
        )
    size = params["size"]
    if isinstance(size, float) and size.is_integer():
        size = int(size)
    with _lock:
        return {"suggestions": suggest(classes, params["source"], size, params.get("vectors"))}


register_request("synonyms/suggest", suggest_words)
