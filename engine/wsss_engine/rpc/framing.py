"""Content-Length framing (the LSP base protocol that vscode-jsonrpc's StreamMessageReader/Writer speak).

A frame is `Content-Length: N\r\n` (other headers ignored) `\r\n` then N bytes of UTF-8 JSON.

Any bytes give a parsed message, a FrameError (the server answers -32700 with id null) or None at end of input,
never an exception, and memory stays bounded (issue 12 item 2, docs/BAD-INPUT.md):
- a missing, negative or non-numeric Content-Length, or one over MAX_MESSAGE_BYTES, reads no body; the bytes
  that follow are skipped until a line that holds a `Content-Length:` header again (resynchronisation, so the
  next well-formed frame is read; the skipped bytes get one more FrameError);
- header lines are read at most MAX_HEADER_LINE bytes at a time;
- JSON that is not UTF-8, nests deeper than Python can parse, or uses NaN/Infinity literals is a FrameError.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, BinaryIO

from wsss_engine.json_input import JsonInputError, parse_json_bytes
from wsss_engine.runs.run_folder import jsonable

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the largest body the engine parses (64 MiB); larger ones are dropped
MAX_HEADER_LINE = 8 * 1024  # header lines are read in pieces of this size
_CONTENT_LENGTH = b"content-length:"


@dataclass
class FrameError:
    """A frame that arrived but could not be read as JSON; the server answers -32700."""

    message: str


def parse_json_body(body: bytes) -> Any:
    """A frame body as JSON, or a FrameError saying why not (json_input's rules: UTF-8, finite numbers...)."""
    try:
        return parse_json_bytes(body, strings=False)  # a NUL in a param is -32602 (protocol.params_problem)
    except JsonInputError as exc:
        return FrameError(f"body: {exc}")


class FrameReader:
    """Reads frames from a binary stream; `read()` gives a parsed JSON value, a FrameError, or None at EOF."""

    def __init__(self, stream: BinaryIO, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.stream = stream
        self.max_message_bytes = max_message_bytes
        self.queued: deque[Any] = deque()  # messages found while resynchronising, returned first

    def read(self) -> Any:
        if self.queued:
            return self.queued.popleft()
        length: int | None = None
        bad_header: str | None = None
        saw_header = False
        while True:
            line = self._header_line()
            if line is None:
                return None  # EOF, also in the middle of a header block
            text = line.decode("ascii", errors="replace").rstrip("\r\n")
            if text == "":
                if not saw_header:
                    continue  # tolerate blank lines between frames
                break
            at = line.lower().rfind(_CONTENT_LENGTH)
            if at > 0:  # garbage (a body we could not size) glued to the next frame's header: start over there
                self.queued.append(FrameError(f"skipped {at} bytes before a Content-Length header"))
                text, length, bad_header = text[at:], None, None
            saw_header = True
            name, sep, value = text.partition(":")
            if not sep:
                bad_header = f"malformed header line {text[:80]!r}"
            elif name.strip().lower() == "content-length":
                length, bad_header = _content_length(value, self.max_message_bytes)
        if self.queued:  # the skipped bytes are reported before this frame
            self.queued.append(self._finish(length, bad_header))
            return self.queued.popleft()
        return self._finish(length, bad_header)

    def _finish(self, length: int | None, bad_header: str | None) -> Any:
        if length is None:
            return FrameError(bad_header or "frame without a Content-Length header")
        if length > self.max_message_bytes:  # not read: its bytes are skipped up to the next frame's header
            return FrameError(
                f"message of {length} bytes is larger than the engine's limit of "
                f"{self.max_message_bytes} bytes (MAX_MESSAGE_BYTES); it was skipped"
            )
        body = self.stream.read(length)
        if len(body) < length:
            return None  # EOF inside a body
        if bad_header:
            return FrameError(bad_header)
        return parse_json_body(body)

    def _header_line(self) -> bytes | None:
        """One header line; an overlong one is read in pieces and only its last MAX_HEADER_LINE bytes kept
        (enough to find a Content-Length header glued to its end)."""
        line = self.stream.readline(MAX_HEADER_LINE)
        if not line:
            return None
        while not line.endswith(b"\n"):
            more = self.stream.readline(MAX_HEADER_LINE)
            if not more:
                return line
            line = (line + more)[-MAX_HEADER_LINE:]
        return line


def _content_length(value: str, limit: int) -> tuple[int | None, str | None]:
    """(length, None) or (None, why the header is unusable)."""
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        return None, f"Content-Length is not a non-negative integer: {value[:40]!r}"
    return (int(value) if len(value) <= 20 else limit + 1), None  # int() refuses > 4300 digits


class FrameWriter:
    """Writes one JSON value per frame; safe to call from several threads."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, message: Any) -> None:
        body = json.dumps(message, ensure_ascii=False, allow_nan=False, default=jsonable).encode("utf-8")
        header = f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
        with self.lock:
            self.stream.write(header + body)
            self.stream.flush()


def encode_frame(message: Any) -> bytes:
    """One frame as bytes (used by tests and tools that talk to the engine)."""
    body = json.dumps(message).encode("utf-8")
    return f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body
