"""Typed engine errors: what failed, which file or input, and what to do.

Each subclass carries the JSON-RPC error code the server answers with (docs/ARCHITECTURE.md, "Errors");
the error `data` sent to the extension is `to_data()`: {"kind", "hint", "path"?} (+ "errors" for configs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class EngineError(Exception):
    """Base of every error the engine reports on purpose (never a bare traceback)."""

    code = -32603
    kind = "EngineError"

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


class ConfigInvalid(EngineError):
    """A run config that cannot be read or does not validate; `errors` = [{"path": "$.a[0].b", "message"}]."""

    code = -32001
    kind = "ConfigInvalid"

    def __init__(self, message: str, hint: str = "", path: str | Path | None = None,
                 errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message, hint, path)
        self.errors = list(errors or [])

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data["errors"] = self.errors
        return data


class RunFolderError(EngineError):
    """A run folder that cannot be created, written, locked or opened."""

    code = -32002
    kind = "RunFolderError"


class RunNotFound(EngineError):
    """A run id or run folder the engine does not know."""

    code = -32003
    kind = "RunNotFound"


class WeightsMissing(EngineError):
    """Pretrained weights or a checkpoint that are not on disk."""

    code = -32004
    kind = "WeightsMissing"


class DatasetError(EngineError):
    """A dataset root, list, image or mask that is missing or corrupt."""

    code = -32005
    kind = "DatasetError"


class OutOfMemory(EngineError):
    """The device ran out of memory; the hint says what to lower."""

    code = -32006
    kind = "OutOfMemory"


class StageFailed(EngineError):
    """A stage raised an unexpected exception; the message names the stage and the exception,
    the traceback is in <run>/engine.log (the error's path)."""

    code = -32007
    kind = "StageFailed"


class Cancelled(EngineError):
    """The user cancelled; same code vscode-jsonrpc uses for a cancelled request."""

    code = -32800
    kind = "Cancelled"

    def __init__(self, message: str = "cancelled by the user", hint: str = "resume the run to continue from "
                 "its last checkpoint", path: str | Path | None = None) -> None:
        super().__init__(message, hint, path)


ERROR_TYPES: tuple[type[EngineError], ...] = (
    ConfigInvalid, RunFolderError, RunNotFound, WeightsMissing, DatasetError, OutOfMemory, StageFailed,
    Cancelled)

ERROR_CODES: dict[str, int] = {cls.kind: cls.code for cls in ERROR_TYPES}
