"""Content-Length framing (the LSP base protocol that vscode-jsonrpc's StreamMessageReader/Writer speak).

A frame is `Content-Length: N\r\n` (other headers ignored) `\r\n` then N bytes of UTF-8 JSON.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

from wsss_engine.runs.run_folder import jsonable


@dataclass
class FrameError:
    """A frame that arrived but could not be read as JSON; the server answers -32700."""

    message: str


class FrameReader:
    """Reads frames from a binary stream; `read()` gives a parsed JSON value, a FrameError, or None at EOF."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def read(self) -> Any:
        length: int | None = None
        bad_header: str | None = None
        saw_header = False
        while True:
            line = self.stream.readline()
            if not line:
                return None  # EOF, also in the middle of a header block
            text = line.decode("ascii", errors="replace").rstrip("\r\n")
            if text == "":
                if not saw_header:
                    continue  # tolerate blank lines between frames
                break
            saw_header = True
            name, sep, value = text.partition(":")
            if not sep:
                bad_header = f"malformed header line {text[:80]!r}"
            elif name.strip().lower() == "content-length":
                try:
                    length = int(value.strip())
                    if length < 0:
                        raise ValueError(value)
                except ValueError:
                    bad_header = f"Content-Length is not a non-negative integer: {value.strip()[:40]!r}"
        if length is None:
            return FrameError(bad_header or "frame without a Content-Length header")
        body = self.stream.read(length)
        if len(body) < length:
            return None  # EOF inside a body
        if bad_header:
            return FrameError(bad_header)
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return FrameError(f"body is not UTF-8 JSON: {exc}")


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
