"""Synonym banks generated from a source (the paper's Fig. 3; METHOD §2.1): WordNet (pole/wordnet_bank.py) or
word vectors the user supplies (pole/vector_bank.py). The CLI `make-bank` and the engine request
`synonyms/suggest` (rpc/synonym_suggest.py) both come here.

A generated bank is an ordinary bank file (schemas/synonym-bank.schema.json) with a "$source" entry saying
where it came from and its size; each class's order is its ranking, so a run can keep the first k words
(`synonym_bank_size`, select_prompts `bank_size`) without a copy of the file.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from ..data.layout import VOC_CLASSES
from ..errors import ConfigInvalid
from ..json_input import read_json_file
from . import vector_bank, wordnet_bank

SOURCES = ("wordnet", "vectors")
SIZES = range(2, 11)  # the paper's Fig. 3 spans 2-5 words per class, the class name included
RANKING = {
    "wordnet": "class prompt word, then the synset's lemmas, its hyponyms' lemmas, its hypernyms' lemmas; "
    "each group by SemCor frequency",
    "vectors": "class prompt word, then nearest neighbours by cosine",
}


def class_list(spec: str | Sequence[str]) -> list[str]:
    """ "voc", a comma-separated list, a JSON file with a list of class names, or a list."""
    if not isinstance(spec, str):
        return [str(c) for c in spec]
    if spec == "voc":
        return list(VOC_CLASSES)
    path = Path(spec)
    if spec.endswith(".json") or path.is_file():
        data = read_json_file(path, "class list", ConfigInvalid, "give a JSON list of class names")
        data = data.get("classes") if isinstance(data, dict) else data
        if not isinstance(data, list) or not all(isinstance(c, str) for c in data):
            raise ConfigInvalid(
                f"class list {path} is not a list of names", hint='["cls1", "cls2", ...]', path=str(path)
            )
        return data
    return [c.strip() for c in spec.split(",") if c.strip()]


def first_word(cls: str) -> str:
    """The class's prompt word, the first of its bank (improved CLIMS's VOC names, METHOD §1.3)."""
    from ..training.setup import CLIMS_VOC_WORDS  # torch-heavy module: imported on use

    return CLIMS_VOC_WORDS.get(cls, cls.replace("_", " "))


def suggest(
    classes: Sequence[str],
    source: str,
    size: int,
    vectors: str | None = None,
    senses: dict[str, str] | None = None,
    wordnet_dir: str | None = None,
    vectors_format: str | None = None,
) -> dict[str, list[str]]:
    """{class: [prompt word, then up to size-1 ranked candidates]}. Problems (no database, a file that does not
    load) raise ConfigInvalid before any word is produced."""
    if source not in SOURCES:
        raise ConfigInvalid(f"unknown bank source {source!r}", hint=f"use one of {', '.join(SOURCES)}")
    if not isinstance(size, int) or size not in SIZES:
        raise ConfigInvalid(
            f"bank size {size!r} is out of range",
            hint="give 2-10 words per class (the paper uses 2-5, the class name included)",
        )
    if not classes:
        raise ConfigInvalid("no classes to suggest words for", hint="give class names, or 'voc'")
    if source == "wordnet":
        wn = wordnet_bank.wordnet(wordnet_dir)
        return {c: wordnet_bank.wordnet_words(c, first_word(c), size, wn, (senses or {}).get(c)) for c in classes}
    if not vectors:
        raise ConfigInvalid(
            "source 'vectors' needs a word-vector file", hint="pass --vectors FILE (word2vec, GloVe or fastText .vec)"
        )
    kv = vector_bank.load_vectors(vectors, vectors_format)
    return {c: vector_bank.vector_words(first_word(c), size, kv, [c]) for c in classes}


def make_bank(classes: Sequence[str], source: str, size: int, vectors: str | None = None, **options) -> dict:
    """A bank file's content: {"$source": {...}, class: [words]}."""
    words = suggest(classes, source, size, vectors, **options)
    where = (
        str(Path(vectors).resolve())
        if source == "vectors"
        else str(Path(options.get("wordnet_dir") or wordnet_bank.default_dir()).resolve())
    )
    meta = {
        "kind": source,
        "size": size,
        "file": where,
        "ranking": RANKING[source],
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return {"$source": meta, **words}


def cli(args) -> int:
    """`python -m wsss_engine make-bank`: write a bank file (see cli.py for the options)."""
    senses = dict(s.split("=", 1) for s in (args.sense or []))
    bank = make_bank(
        class_list(args.classes),
        args.source,
        args.size,
        args.vectors,
        senses=senses,
        wordnet_dir=args.wordnet,
        vectors_format=args.vectors_format,
    )
    text = json.dumps(bank, indent=2, ensure_ascii=False) + "\n"
    if args.out == "-":
        print(text, end="")
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        short = [c for c, w in bank.items() if not c.startswith("$") and len(w) < args.size]
        print(
            f"wrote {args.out}: {len(bank) - 1} classes, {args.size} words each from {args.source}"
            + (f"; fewer for {', '.join(short)}" if short else "")
        )
    return 0
