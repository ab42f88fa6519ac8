"""RunFolder: one run on disk (docs/ARCHITECTURE.md, "Run folder"): atomic JSON, run.json lifecycle, a lock.

run.json status: created -> running -> completed | failed | cancelled (a resume goes back to running).
A run with status != completed is never shown as complete, so "completed" is written last.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from wsss_engine import __version__
from wsss_engine.errors import RunFolderError, RunNotFound
from wsss_engine.json_input import parse_json_bytes
from wsss_engine.runs.portable_paths import CONFIG_BASE_KEY, CONFIG_BASE_RUN, portable_config, portable_path
from wsss_engine.runs.temp_files import is_temp_name, remove_stale_temps, temp_name

FORMAT_VERSION = 1
RUN_STATUSES = ("created", "running", "completed", "failed", "cancelled")
STAGE_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
LOCK_NAME = ".lock"

_WRITABLE_HINT = (
    "choose a run folder in a writable location: every parent must be a folder you may write to "
    "(check permissions, free disk space, and that no file has the folder's name)"
)


def utc_now() -> str:
    """ISO 8601 UTC time with milliseconds, the format of run.json times."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write via a temp file in the same folder + rename, so readers never see half a file."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}", _WRITABLE_HINT, path) from exc


def jsonable(value: Any) -> Any:
    """json.dumps `default`: numpy/torch scalars become numbers, paths strings; anything else is an error."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "__fspath__"):
        return str(value)
    raise TypeError(f"a {type(value).__name__} is not JSON")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Atomic JSON write (indent 2, UTF-8, no NaN: JSON has none)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False, default=jsonable)
    atomic_write_bytes(path, (text + "\n").encode())


def checkpoint_file(run_path: str | Path, stage_id: str) -> Path:
    """<run>/checkpoints/<stage-id>.pt: the one place a stage checkpoint's path is built."""
    return Path(run_path) / "checkpoints" / f"{stage_id}.pt"


def read_json(path: str | Path) -> Any:
    """A JSON file of the run folder (json_input's strict rules; JsonInputError is a ValueError)."""
    return parse_json_bytes(Path(path).read_bytes())


class RunLock:
    """An exclusive OS lock on <run>/.lock; released by the OS when the process dies, so never stale."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = None

    def acquire(self) -> None:
        try:
            f = open(self.path, "a+")
        except OSError as exc:
            raise RunFolderError(
                f"cannot create lock file {self.path}: {exc.strerror or exc}", _WRITABLE_HINT, self.path
            ) from exc
        try:
            _lock_with_grace(f)
        except OSError:
            f.seek(0)
            owner = f.read().strip() or "another process"
            f.close()
            who = (
                "this engine, which is running it now" if owner == f"pid {os.getpid()}" else f"another engine ({owner})"
            )
            raise RunFolderError(
                f"run folder {self.path.parent} is in use by {who}",
                "wait for that run to finish or cancel it, or choose another run folder",
                self.path.parent,
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        self.file = f

    def release(self) -> None:
        if self.file is not None:
            _unlock_file(self.file)
            self.file.close()
            self.file = None


# A process killed outright (kill -9) leaves its forked DataLoader workers holding the inherited lock until
# they notice (torch checks every 5 s): when the recorded owner is dead, wait that long before calling it busy.
DEAD_OWNER_GRACE_S = 12.0


def _lock_with_grace(f: Any) -> None:
    deadline = time.monotonic() + DEAD_OWNER_GRACE_S
    while True:
        try:
            return _lock_file(f)
        except OSError:
            f.seek(0)
            if _owner_alive(f.read().strip()) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _owner_alive(owner: str) -> bool:
    """Whether the "pid N" a lock file records is a live process (unknown owners count as alive)."""
    try:
        os.kill(int(owner.removeprefix("pid ")), 0)
    except ValueError:
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_file(f: Any) -> None:
    try:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # Windows
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)


def _unlock_file(f: Any) -> None:
    try:
        import fcntl

        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except ImportError:
        import msvcrt

        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)


class RunFolder:
    """A run folder held (locked) by this engine while it writes it. Use `create` or `open`, then `close`."""

    def __init__(self, path: Path, record: dict[str, Any], lock: RunLock) -> None:
        self.path = path
        self.record = record  # the content of run.json
        self.lock = lock
        self.removed_temps: list[Path] = []  # stale temp files removed when the run was reopened

    # -- lifecycle -------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        name: str,
        synthetic: bool,
        stages: list[dict[str, Any]],
        config: dict[str, Any],
        config_path: str | None,
    ) -> "RunFolder":
        """A new run: writes config.json then run.json (status "created"). The folder may exist but must then
        be empty (or hold only our lock / crash temps): a user's files there are never overwritten."""
        path = Path(path).absolute()
        _refuse_foreign_folder(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(
                f"cannot create run folder {path}: {exc.strerror or exc}", _WRITABLE_HINT, path
            ) from exc
        lock = RunLock(path / LOCK_NAME)
        lock.acquire()
        try:
            if (path / "run.json").exists():
                raise RunFolderError(
                    f"{path} already holds a run (run.json exists)", "resume that run, or choose a new run folder", path
                )
            remove_stale_temps(path)
            now = utc_now()
            record = {
                "formatVersion": FORMAT_VERSION,
                "id": uuid.uuid4().hex[:12],
                "name": name,
                "status": "created",
                "created": now,
                "updated": now,
                "engineVersion": __version__,
                "synthetic": bool(synthetic),
                "configPath": portable_path(config_path, path) if config_path else None,
                CONFIG_BASE_KEY: CONFIG_BASE_RUN,
                "stages": [_stage_entry(s) for s in stages],
                "error": None,
            }
            run = cls(path, record, lock)
            # relative paths of a config without a file resolve against the cwd (LoadedConfig.base_dir)
            base = Path(config_path).absolute().parent if config_path else Path.cwd()
            run.write_json("config.json", portable_config(config, base, path))
            run.save()
            return run
        except BaseException:
            lock.release()
            raise

    @classmethod
    def open(cls, path: str | Path) -> "RunFolder":
        """An existing run, locked for writing (to resume it)."""
        path = Path(path).absolute()
        if not (path / "run.json").is_file():
            raise RunNotFound(
                f"no run in {path} (run.json is missing)", "start a new run in this folder instead of resuming", path
            )
        lock = RunLock(path / LOCK_NAME)
        lock.acquire()
        try:
            record = read_json(path / "run.json")
        except (OSError, ValueError) as exc:  # ValueError: not UTF-8 / not JSON (json_input.JsonInputError)
            lock.release()
            raise RunFolderError(
                f"cannot read {path / 'run.json'}: {exc}",
                "the run record is damaged; start a new run",
                path / "run.json",
            ) from exc
        run = cls(path, record, lock)
        run.removed_temps = remove_stale_temps(path)  # a crash's leftovers; we hold the lock, nothing writes now
        return run

    def close(self) -> None:
        self.lock.release()

    # -- files -----------------------------------------------------------------------------------------
    def subdir(self, *parts: str) -> Path:
        """<run>/<parts...>, created if missing."""
        d = self.path.joinpath(*parts)
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create {d}: {exc.strerror or exc}", _WRITABLE_HINT, d) from exc
        return d

    def write_json(self, relpath: str | Path, obj: Any) -> Path:
        """Atomic JSON write of <run>/<relpath> (parent folders created)."""
        target = self.path / relpath
        if target.parent != self.path:
            self.subdir(*target.parent.relative_to(self.path).parts)
        atomic_write_json(target, obj)
        return target

    atomic_write_json = write_json

    def checkpoint_path(self, stage_id: str) -> Path:
        """Where stage `stage_id` saves its checkpoint (the folder created)."""
        self.subdir("checkpoints")
        return checkpoint_file(self.path, stage_id)

    # -- run.json --------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def status(self) -> str:
        return self.record["status"]

    def save(self) -> None:
        self.record["updated"] = utc_now()
        atomic_write_json(self.path / "run.json", self.record)

    def set_status(self, status: str, error: dict[str, str] | None = None) -> None:
        assert status in RUN_STATUSES, status
        self.record["status"] = status
        self.record["error"] = error
        self.save()

    def stage(self, stage_id: str) -> dict[str, Any]:
        for entry in self.record["stages"]:
            if entry["id"] == stage_id:
                return entry
        raise KeyError(stage_id)

    def set_stage(self, stage_id: str, status: str, **fields: Any) -> None:
        assert status in STAGE_STATUSES, status
        entry = self.stage(stage_id)
        entry["status"] = status
        entry.update(fields)
        self.save()

    def reconcile_stages(self, stages: list[dict[str, Any]]) -> None:
        """On resume: keep completed entries whose id and type still match the config; others are pending."""
        old = {(e["id"], e["type"]): e for e in self.record["stages"]}
        merged = []
        for s in stages:
            prev = old.get((s["id"], s["type"]))
            merged.append(prev if prev is not None and prev["status"] == "completed" else _stage_entry(s))
        self.record["stages"] = merged


def _refuse_foreign_folder(path: Path) -> None:
    """A new run goes into a new or empty folder only (issue 12 item 6): config.json, metrics.jsonl ... of a
    folder that is not a run would be overwritten. run.json present: create() says to resume instead."""
    try:
        names = sorted(n for n in os.listdir(path) if n != LOCK_NAME and not is_temp_name(n))
    except FileNotFoundError:
        return
    except NotADirectoryError as exc:
        raise RunFolderError(f"cannot create run folder {path}: a file has that name", _WRITABLE_HINT, path) from exc
    except OSError as exc:
        raise RunFolderError(f"cannot read run folder {path}: {exc.strerror or exc}", _WRITABLE_HINT, path) from exc
    if names and "run.json" not in names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise RunFolderError(
            f"{path} is not empty and is not a run folder (it holds {shown}); a new run would overwrite files there",
            "choose a new or empty run folder (or resume a run in its own folder)",
            path,
        )


def _stage_entry(stage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": stage["id"],
        "type": stage["type"],
        "status": "pending",
        "started": None,
        "finished": None,
        "summary": {},
    }


class _NoLock:
    def release(self) -> None:
        pass


class RunFolderView(RunFolder):
    """A run folder seen by a torchrun rank other than 0 (docs/ARCHITECTURE.md, "Multi-GPU runs"): never
    locked, run.json and JSON writes go nowhere (rank 0 writes them); `reload` reads what rank 0 wrote."""

    @classmethod
    def read(cls, path: str | Path) -> "RunFolderView":
        path = Path(path).absolute()
        return cls(path, read_json(path / "run.json"), _NoLock())  # type: ignore[arg-type]

    def reload(self) -> None:
        self.record = read_json(self.path / "run.json")

    def save(self) -> None:
        self.record["updated"] = utc_now()

    def write_json(self, relpath: str | Path, obj: Any) -> Path:
        return self.path / relpath

    atomic_write_json = write_json
