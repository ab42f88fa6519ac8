"""Strict JSON input: the one reader of JSON the engine is given (user files and protocol frames; issue 12
items 3 and 4, docs/BAD-INPUT.md).

- Encoding: UTF-8. A UTF-8 byte order mark is accepted and dropped (RFC 8259 §8.1 lets a parser ignore it;
  Windows editors write one). UTF-16/32 (with or without a BOM), Latin-1 bytes and embedded NUL bytes are
  refused with a message that names the problem and its byte offset.
- Numbers: NaN, Infinity and -Infinity (which Python's json accepts) and literals that overflow a double
  (1e400) are refused, so no config value can be non-finite. Strings with a NUL character or a lone
  surrogate escape are refused too (`unusable_values`); errors carry the value's JSON pointer.
- Nesting too deep for the parser, integers longer than Python parses, syntax errors: a message with the
  line and column where known.

`parse_json_bytes` raises JsonInputError; `read_json_file` turns that (and unreadable files) into the
caller's EngineError subclass naming the file.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from .errors import ConfigInvalid, EngineError

UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
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


def unusable_values(value: Any, strings: bool = True) -> list[tuple[str, str]]:
    """[(JSON pointer, why)] of every value no engine input may hold, in document order (iterative: any depth
    the parser accepted): NaN / Infinity / overflowing numbers, and strings (or keys) with a NUL character
    (the OS refuses it in a path) or a lone UTF-16 surrogate (valid JSON escapes, but not text: writing them
    back as UTF-8 fails)."""
    found, stack = [], [((), value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            found.append((json_pointer(path), f"{getattr(v, 'text', repr(v))} is not a finite number"))
        elif isinstance(v, str) and strings:
            problem = _text_problem(v)
            if problem:
                found.append((json_pointer(path), problem))
        elif isinstance(v, dict):
            for k in v:
                problem = _text_problem(k) if strings else None
                if problem:
                    found.append((json_pointer((*path, k)), f"the key {problem}"))
            stack.extend(((*path, k), x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend(((*path, i), x) for i, x in reversed(list(enumerate(v))))
    return found


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _SURROGATE.search(text):
        return "contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def decode_utf8(raw: bytes) -> str:
    """Text of UTF-8 bytes (BOM dropped), or JsonInputError naming the encoding problem."""
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
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
        bad = raw[exc.start : exc.start + 1].hex()
        line = raw.count(b"\n", 0, exc.start) + 1
        raise JsonInputError(
            f"not UTF-8: byte 0x{bad} at byte offset {exc.start} (line {line}) "
            f"({exc.reason}); Latin-1 / Windows-1252 text looks like this"
        ) from None


def parse_json_bytes(raw: bytes, strings: bool = True) -> Any:
    """The JSON value of `raw` under the rules above; JsonInputError otherwise. `strings=False` leaves NUL
    characters and lone surrogates to the caller (the RPC server answers those as invalid params)."""
    text = decode_utf8(raw)
    try:
        value = json.loads(text, parse_constant=_NonFinite, parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise JsonInputError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise JsonInputError("arrays/objects nest too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer literal with more digits than Python converts
        raise JsonInputError(f"invalid JSON: {exc}") from None
    bad = unusable_values(value, strings)
    if bad:
        pointer, problem = bad[0]
        raise JsonInputError(f"{pointer or '(root)'}: {problem}", pointer)
    return value


def read_json_file(
    path: str | Path, what: str, error: type[EngineError] = ConfigInvalid, hint: str = "fix the JSON at that position"
) -> Any:
    """The JSON value of the file at `path`; `error` naming the file (and, for ConfigInvalid, an `errors`
    entry at the whole file, pointer "") when it cannot be read, is not UTF-8, or is not strict JSON."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = f"cannot read file: {getattr(exc, 'strerror', None) or exc}"
        raise _error(
            error, f"cannot read {what} {path}: {reason}", f"check the path of the {what}", path, reason
        ) from exc
    try:
        return parse_json_bytes(raw)
    except JsonInputError as exc:
        encoding = "UTF" in str(exc) or "NUL" in str(exc)
        raise _error(
            error, f"{what} {path}: {exc}", SAVE_AS_UTF8 if encoding else hint, path, str(exc), exc.pointer
        ) from None


def _error(
    error: type[EngineError], message: str, hint: str, path: Path, reason: str, pointer: str = ""
) -> EngineError:
    if issubclass(error, ConfigInvalid):
        return error(message, hint, path, [{"path": pointer, "message": reason}])
    return error(message, hint, path)
