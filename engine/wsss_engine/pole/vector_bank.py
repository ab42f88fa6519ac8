"""Synonym candidates from word vectors the user supplies: nearest neighbours by cosine, as the paper built
its corpus banks (BNC, Google News, Wikipedia, Gigaword; Fig. 3, METHOD §2.1).

Formats (read with gensim's KeyedVectors): word2vec text ("N D" header, then "word v1 .. vD"), word2vec
binary (header, then float32 rows; a .bin file or one whose body is not text), fastText .vec (word2vec text)
and GloVe text (no header). The format is detected from the first line and the body, or given.

A class's word is looked up as written, lower-cased, and with its spaces as "_", "-" or nothing; a phrase not
in the vocabulary whose words all are uses the mean of their unit vectors (gensim's most_similar on several
positives). Neighbours are ranked by cosine; "_" becomes a space; words already listed (ignoring case),
tokens with digits or other symbols, and phrases longer than three words are left out.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from ..errors import ConfigInvalid

FORMATS = ("word2vec", "word2vec-binary", "fasttext", "glove")
_WORD = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")
_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def detect_format(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.readline()
        body = f.read(4096)
    parts = head.split()
    if not (len(parts) == 2 and all(p.isdigit() for p in parts)):
        return "glove"
    if path.suffix == ".bin":
        return "word2vec-binary"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # not just a character cut at the chunk's end
            return "word2vec-binary"
    return "word2vec"


def load_vectors(path: str | Path, fmt: str | None = None):
    """gensim KeyedVectors of a word-vector file (cached in this process by path, size and mtime)."""
    path = Path(path)
    hint = "give a word2vec (text or binary), fastText .vec or GloVe text file of word vectors"
    if not path.is_file():
        raise ConfigInvalid(f"word-vector file {path} does not exist", hint=hint, path=str(path))
    if fmt is not None and fmt not in FORMATS:
        raise ConfigInvalid(f"unknown word-vector format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, fmt)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise ConfigInvalid(
            "reading word vectors needs gensim",
            hint="pip install 'wsss_engine[vectors]' (or pip install gensim) into the engine's Python",
        ) from None
    kind = fmt or detect_format(path)
    try:
        vectors = KeyedVectors.load_word2vec_format(
            str(path), binary=kind == "word2vec-binary", no_header=kind == "glove", unicode_errors="replace"
        )
    except Exception as exc:  # gensim raises ValueError/EOFError/UnicodeError... for a damaged file
        raise ConfigInvalid(
            f"word-vector file {path} does not load as {kind} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})",
            hint=hint,
            path=str(path),
        ) from None
    if len(vectors) == 0:
        raise ConfigInvalid(f"word-vector file {path} has no vectors", hint=hint, path=str(path))
    with _lock:
        _cache.clear()  # one file at a time: they can be gigabytes
        _cache[key] = vectors
    return vectors


def _keys(word: str) -> list[str]:
    out = []
    for w in (word, word.lower()):
        out += [w, w.replace(" ", "_"), w.replace(" ", "-"), w.replace(" ", "")]
    return list(dict.fromkeys(out))


def vector_words(first_word: str, size: int, vectors, names: list[str] | None = None) -> list[str]:
    """Up to `size` words: `first_word`, then its nearest neighbours by cosine (the first of `names`,
    then `first_word`'s spellings, found in the vocabulary is the query)."""
    words, seen = [first_word], {first_word.lower()}
    queries = [k for n in [*(names or []), first_word] for k in _keys(n)]
    query = next((q for q in queries if q in vectors.key_to_index), None)
    if query is not None:
        positives = [query]
    else:
        parts = first_word.split()
        positives = parts if len(parts) > 1 and all(p in vectors.key_to_index for p in parts) else []
    if not positives:
        return words
    seen.update(p.lower() for p in positives)
    for candidate, _ in vectors.most_similar(positive=positives, topn=min(len(vectors) - 1, 20 * size + 20)):
        word = candidate.replace("_", " ")
        if len(words) >= size:
            break
        if word.lower() in seen or not _WORD.match(word) or len(word.split()) > 3:
            continue
        seen.add(word.lower())
        words.append(word)
    return words
