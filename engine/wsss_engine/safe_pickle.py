"""Reading pickled files without running code: the one home of restricted unpickling (issue 12 item 1).

A pickle can name any importable callable and call it while loading, so a CAM file in a run folder, a
checkpoint named by a config or a selection file from the internet could run arbitrary code. Every pickled
file the engine reads goes through here:

- `DataOnlyUnpickler`: builtin containers, strings and numbers only (POLE selection files);
- `load_npy_record(path)`: a `.npy` file holding a pickled dict of numpy arrays (our CAM files and IRN/CLIMS
  ones: `keys`, `cam`, `high_res`, maybe more). Only the numpy reconstructors are allowed, the same set the
  CAM panel's TypeScript reader (extension/panels/cam/pickleReader.ts) accepts;
- `torch_load(path)`: `torch.load(weights_only=True)`, i.e. tensors and plain containers only (our own
  checkpoints hold nothing else: RNG states are stored as tensors and tuples, training/checkpoint.py), plus
  numpy arrays, so that checkpoints written before that still load.

A refused or unreadable file raises the caller's EngineError subclass naming the file.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EngineError

try:  # numpy >= 2 keeps the reconstructors in numpy._core; files written by numpy 1 name numpy.core
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy 1
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]

# What numpy needs to rebuild arrays, dtypes and scalars (and what pickleReader.ts accepts).
_NUMPY_GLOBALS: dict[tuple[str, str], Any] = {
    **{
        (module, "_reconstruct"): _multiarray._reconstruct
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
    },
    **{(module, "scalar"): _multiarray.scalar for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("collections", "OrderedDict"): OrderedDict,
    ("_codecs", "encode"): __import__("codecs").encode,  # protocol-2 bytes: encode(str, "latin1")
}


# numpy arrays inside a torch file (checkpoints written before RNG states were stored as tensors): data only.
_TORCH_NUMPY_GLOBALS = [
    _multiarray._reconstruct,
    _multiarray.scalar,
    np.ndarray,
    np.dtype,
    *{type(np.dtype(c)) for c in "?bBhHiIlLqQefd"},
]


class DataOnlyUnpickler(pickle.Unpickler):
    """Refuses every global: only the pickle opcodes for builtin containers and scalars work."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: the file may hold only data")


class NumpyUnpickler(pickle.Unpickler):
    """Builtin containers, scalars and numpy arrays; any other global is refused before it is imported."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        found = _NUMPY_GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays may be stored")
        return found


def unpickle_data(raw: bytes) -> Any:
    """Builtin containers and scalars from pickle bytes (pickle.UnpicklingError etc. on anything else)."""
    return DataOnlyUnpickler(io.BytesIO(raw)).load()


def load_npy_record(path: str | Path, error: type[EngineError], hint: str) -> dict:
    """The dict stored by `np.save(path, {name: array, ...})`, read without running code.

    Raises `error(message naming the file, hint, path)` when the file is missing, is not a .npy file, holds
    anything but a dict, or names a Python global other than numpy's array reconstructors."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            _shape, _fortran, dtype = read_header(f, max_header_size=10_000)
            if not dtype.hasobject:
                raise ValueError(f"it holds a plain {dtype} array, not a dict of arrays")
            record = NumpyUnpickler(f).load()
    except FileNotFoundError as exc:
        raise error(f"{path} does not exist", hint=hint, path=path) from exc
    except Exception as exc:  # numpy and pickle raise many types on hostile or damaged bytes
        raise error(f"cannot read {path}: {exc}", hint=hint, path=path) from exc
    if isinstance(record, np.ndarray) and record.dtype.hasobject and record.shape == ():
        record = record.item()  # np.save pickles the 0-d object array that wraps the dict
    if not isinstance(record, dict):
        raise error(
            f"cannot read {path}: it holds a {type(record).__name__}, not a dict of arrays", hint=hint, path=path
        )
    return record


def torch_load(path: str | Path, error: type[EngineError], what: str, hint: str, map_location: Any = "cpu") -> Any:
    """`torch.load(path, weights_only=True)`; `error` naming the file when it holds code or is damaged."""
    import torch  # here, so that `pole-stats` (selection pickles only) starts without loading torch

    path = Path(path)
    try:
        with torch.serialization.safe_globals(_TORCH_NUMPY_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # weights_only refused a global (or the pickle is corrupt)
        first = str(exc).strip().splitlines()
        detail = next(
            (line for line in first if "Unsupported global" in line or "GLOBAL" in line), first[0] if first else ""
        )
        raise error(
            f"refusing to load {what} {path}: it is not tensors and plain data only ({detail.strip()})",
            hint=f"{hint}; a file from an untrusted source can run code when unpickled",
            path=path,
        ) from exc
    except Exception as exc:  # truncated zip, not a torch file, ...
        raise error(f"cannot read {what} {path}: {exc}", hint=hint, path=path) from exc
