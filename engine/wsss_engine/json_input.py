"""Strict JSON input: the one reader of JSON the engine is given (user files and protocol frames; issue 12
items 3 and 4, docs/BAD-INPUT.md).

- Encoding: UTF-8. A UTF-8 byte order mark is accepted and dropped (RFC 8259 §8.1 lets a parser ignore it;
  Windows editors write one). UTF-16/32 (with or without a BOM), Latin-1 bytes and embedded NUL bytes are
  refused with a message that names the problem and its byte offset.
- Numbers: NaN, Infinity and -Infinity (which Python's json accepts) and literals that overflow a double
  (1e400) are refused, so no config value can be non-finite.
- Nesting too deep for the parser, integers longer than Python parses, syntax errors: a message with the
  line and column where known.

`parse_json_bytes` raises JsonInputError; `read_json_file` turns that (and unreadable files) into the
caller's EngineError subclass naming the file.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import ConfigInvalid, EngineError

UTF8_BOM = b"\xef\xbb\xbf"
SAVE_AS_UTF8 = "save the file as UTF-8 (in VS Code: the encoding in the status bar, 'Save with Encoding', UTF-8)"


class JsonInputError(ValueError):
    """Bytes that are not strict UTF-8 JSON; the message says why (and where); `pointer` = the JSON pointer
    of the offending value when there is one ("" otherwise)."""

    def __init__(self, message: str, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer


class _NonFinite(float):
    """What NaN / Infinity / 1e400 parse to, so that the error can name where they are."""

    def __new__(cls, text: str) -> "_NonFinite":
        obj = super().__new__(cls, float("nan"))
        obj.text = text
        return obj


def _parse_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def json_pointer(parts: Any) -> str:
    """RFC 6901 pointer of a path of keys/indices ("" = the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def non_finite_numbers(value: Any) -> list[tuple[str, str]]:
    """[(JSON pointer, literal)] of every NaN / Infinity / overflowing number in a parsed value (iterative:
    any depth the parser accepted)."""
    found, stack = [], [((), value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            found.append((json_pointer(path), getattr(v, "text", repr(v))))
        elif isinstance(v, dict):
            stack.extend(((*path, k), x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend(((*path, i), x) for i, x in reversed(list(enumerate(v))))
    return found


def decode_utf8(raw: bytes) -> str:
    """Text of UTF-8 bytes (BOM dropped), or JsonInputError naming the encoding problem."""
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM):]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise JsonInputError("UTF-16 or UTF-32 text (it starts with a byte order mark), not UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        if len(raw) >= 4 and (raw[1::2].count(0) > len(raw) // 4 or raw[0::2].count(0) > len(raw) // 4):
            raise JsonInputError("looks like UTF-16 or UTF-32 text (every other byte is NUL), not UTF-8")
        raise JsonInputError(f"a NUL byte at byte offset {nul}: a binary file, or text with an embedded NUL")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1].hex()
        line = raw.count(b"\n", 0, exc.start) + 1
        raise JsonInputError(f"not UTF-8: byte 0x{bad} at byte offset {exc.start} (line {line}) "
                             f"({exc.reason}); Latin-1 / Windows-1252 text looks like this") from None


def parse_json_bytes(raw: bytes) -> Any:
    """The JSON value of `raw` under the rules above; JsonInputError otherwise."""
    text = decode_utf8(raw)
    try:
        value = json.loads(text, parse_constant=_NonFinite, parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise JsonInputError("arrays/objects nest too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer literal with more digits than Python converts
        raise JsonInputError(f"invalid JSON: {exc}") from None
    bad = non_finite_numbers(value)
    if bad:
        pointer, literal = bad[0]
        raise JsonInputError(f"{literal} at {pointer or '(root)'} is not a finite JSON number; use a finite number",
                             pointer)
    return value


def read_json_file(path: str | Path, what: str, error: type[EngineError] = ConfigInvalid,
                   hint: str = "fix the JSON at that position") -> Any:
    """The JSON value of the file at `path`; `error` naming the file (and, for ConfigInvalid, an `errors`
    entry at the whole file, pointer "") when it cannot be read, is not UTF-8, or is not strict JSON."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = f"cannot read file: {getattr(exc, 'strerror', None) or exc}"
        raise _error(error, f"cannot read {what} {path}: {reason}", f"check the path of the {what}", path,
                     reason) from exc
    try:
        return parse_json_bytes(raw)
    except JsonInputError as exc:
        encoding = "UTF" in str(exc) or "NUL" in str(exc)
        raise _error(error, f"{what} {path}: {exc}", SAVE_AS_UTF8 if encoding else hint, path, str(exc),
                     exc.pointer) from None


def _error(error: type[EngineError], message: str, hint: str, path: Path, reason: str,
           pointer: str = "") -> EngineError:
    if issubclass(error, ConfigInvalid):
        return error(message, hint, path, [{"path": pointer, "message": reason}])
    return error(message, hint, path)
