"""Typed engine errors: what failed, which file or input, and what to do.

Each subclass carries the JSON-RPC error code the server answers with (docs/ARCHITECTURE.md, "Errors");
the error `data` sent to the extension is `to_data()`: {"kind", "hint", "path"?} (+ "errors" for configs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class EngineError(Exception):
    """Base of every error the engine reports on purpose (never a bare traceback).

    A subclass declares its JSON-RPC code in the class line, `class X(EngineError, code=-320nn)`; its kind
    (the name the extension switches on) is the class name unless given, and it joins ERROR_TYPES.
    """

    code = -32603
    kind = "EngineError"

    def __init_subclass__(cls, code: int | None = None, kind: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code, cls.kind = code, kind or cls.__name__
            _REGISTERED.append(cls)

    def __init__(self, message: str, hint: str = "", path: str | Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "hint": self.hint}
        if self.path is not None:
            data["path"] = self.path
        return data

    def to_record(self) -> dict[str, str]:
        """The `error` object stored in run.json and sent in run/finished ("path" only when there is one)."""
        record = {"kind": self.kind, "message": self.message, "hint": self.hint}
        if self.path is not None:
            record["path"] = self.path
        return record


_REGISTERED: list[type[EngineError]] = []


class ConfigInvalid(EngineError, code=-32001):
    """A run config that cannot be read or does not validate; `errors` = [{"path": "$.a[0].b", "message"}]."""

    def __init__(
        self, message: str, hint: str = "", path: str | Path | None = None, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message, hint, path)
        self.errors = list(errors or [])

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data["errors"] = self.errors
        return data


# The errors that differ only in code and kind: one row each (the doc says when the engine raises it).
class RunFolderError(EngineError, code=-32002):
    """A run folder that cannot be created, written, locked or opened."""


class RunNotFound(EngineError, code=-32003):
    """A run id or run folder the engine does not know."""


class WeightsMissing(EngineError, code=-32004):
    """Pretrained weights or a checkpoint that are not on disk."""


class DatasetError(EngineError, code=-32005):
    """A dataset root, list, image or mask that is missing or corrupt."""


class OutOfMemory(EngineError, code=-32006):
    """The device ran out of memory; the hint says what to lower."""


class StageFailed(EngineError, code=-32007):
    """A stage raised an unexpected exception; the message names the stage and the exception,
    the traceback is in <run>/engine.log (the error's path)."""


class ClusterError(EngineError, code=-32008):
    """SLURM refused or could not be reached (submit, query, cancel a cluster job; docs/CLUSTER.md)."""


class Cancelled(EngineError, code=-32800):
    """The user cancelled; same code vscode-jsonrpc uses for a cancelled request."""

    def __init__(
        self,
        message: str = "cancelled by the user",
        hint: str = "resume the run to continue from its last checkpoint",
        path: str | Path | None = None,
    ) -> None:
        super().__init__(message, hint, path)


# Every kind the protocol names (rpc/protocol.py's description; the drift test compares it with protocol/engine.ts).
ERROR_TYPES: tuple[type[EngineError], ...] = tuple(_REGISTERED)

ERROR_CODES: dict[str, int] = {cls.kind: cls.code for cls in ERROR_TYPES}
