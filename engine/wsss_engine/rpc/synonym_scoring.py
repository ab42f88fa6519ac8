"""Engine request `synonyms/score` (docs/ARCHITECTURE.md, protocol): live CLIP scores of synonym-bank words
for images of a run, for the synonym-bank editor panel (METHOD §2.2).

{runDir, imageIds, classes?, words?} -> {scores: [{imageId, class, chosen?, scores: {word: cos}}]}

Per image and per class it has a CAM for (the image's GT classes, METHOD §3.1; or only `classes`): the RGB
image × that class's `high_res` CAM, CLIP-preprocessed, cosine against "a photo of {w}." for every word of the
run's synonym bank (`words` {class: [words]} replaces a class's words: unsaved bank edits). The masking and
scoring are pole/selection.py's `select_offline`, the code the select_prompts stage runs, so with the same
CAMs, CLIP and words the scores are the stored ones. `chosen` is the word the run's stored selection
(selection/prompt_selection.json) picked, when there is one and it is among the scored words.

CAMs: the select_prompts stage's source first (the CAMs its choice was made from), then the infer_cams
stages, latest first; each image uses the first set that has its file. The CLIP of a run is loaded once per
engine process (keyed by run, clip config and checkpoint file) so repeated requests are fast.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import Cancelled, DatasetError, EngineError, RunFolderError, RunNotFound
from ..json_input import read_json_file
from ..runs.config import fill_section
from ..runs.portable_paths import stored_config_base
from .server import register_request

log = logging.getLogger("wsss_engine.rpc.synonyms")
BATCH_SIZE = 32
_CACHE_SIZE = 2  # CLIPs kept (ViT-B-32 is ~600 MB in fp32)
_clips: "OrderedDict[tuple, Any]" = OrderedDict()
_datasets: dict[tuple, Any] = {}
_cache_lock = threading.Lock()
_scoring_lock = threading.Lock()  # one scoring at a time: one accelerator, few CPU cores


class RunSource:
    """What a run folder offers for scoring: its config, dataset, bank, CAM sets and stored selection."""

    def __init__(self, run_dir: str) -> None:
        self.path = Path(run_dir).expanduser().absolute()
        config_file = self.path / "config.json"
        if not config_file.is_file():
            where = "does not exist" if not self.path.exists() else "has no config.json"
            raise RunNotFound(f"run folder {self.path} {where}", "choose a run folder written by the engine", self.path)
        self.config = _read_json(config_file, "the run's config")
        record = _read_json(self.path / "run.json", "the run record") if (self.path / "run.json").is_file() else {}
        self.base_dir = stored_config_base(self.path, record)
        self.stages: list[dict] = [s for s in self.config.get("stages", []) if isinstance(s, dict)]

    def resolve(self, p: str) -> Path:
        """Relative paths in config.json resolve against stored_config_base (docs/ARCHITECTURE.md "Run folder")."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def datasets(self) -> list:
        """VOCDataset of the config's train list, then of its eval list (image labels read once, cached)."""
        from ..data.voc import VOCDataset

        cfg = self.config.get("dataset") or {}
        if not cfg.get("root"):
            raise DatasetError(
                f"the config of run {self.path} has no dataset.root",
                "the run cannot be scored",
                self.path / "config.json",
            )
        out = []
        for name in dict.fromkeys([cfg.get("train_list", "train_aug"), cfg.get("eval_list", "train")]):
            key = (str(self.resolve(cfg["root"])), name, json.dumps(cfg.get("classes")))
            with _cache_lock:
                if key not in _datasets:
                    _datasets[key] = VOCDataset(key[0], name, cfg.get("classes"), empty_labels="keep")
                out.append(_datasets[key])
        return out

    def cam_sets(self) -> list[Path]:
        """CAM folders to look in: the select_prompts stage's source, then infer_cams stages, latest first."""
        ids = {s.get("id") for s in self.stages}
        sets = []
        for s in self.stages:
            if s.get("type") == "select_prompts" and s.get("cams"):
                sets.append(self.path / "cams" / s["cams"] if s["cams"] in ids else self.resolve(s["cams"]))
        sets += [self.path / "cams" / s["id"] for s in reversed(self.stages) if s.get("type") == "infer_cams"]
        return list(dict.fromkeys(sets))

    def cam_dir_for(self, image_id: str, sets: list[Path]) -> Path:
        for folder in sets:
            if (folder / f"{image_id}.npy").is_file():
                return folder
        producers = [s["id"] for s in self.stages if s.get("type") == "infer_cams"]
        if not producers:
            raise DatasetError(
                f"run {self.path} has no CAMs to mask image {image_id} with: its config has no infer_cams stage",
                "add an infer_cams stage to the config and resume the run",
                self.path / "config.json",
            )
        if not any(folder.is_dir() for folder in sets):
            raise DatasetError(
                f"run {self.path} has no CAMs yet (no {self.path / 'cams' / producers[0]})",
                f"run (resume) the run until its infer_cams stage '{producers[0]}' has run",
                self.path,
            )
        raise DatasetError(
            f"run {self.path} has no CAM of image {image_id} (looked in {', '.join(str(f) for f in sets)})",
            f"the infer_cams stage '{producers[-1]}' covers another image list, or has not "
            "reached this image yet: choose an image of that list, or resume the run",
            sets[0],
        )

    def bank(self, classes: list[str], words: dict | None):
        from ..pole.synonym_bank import SynonymBank

        path = self.config.get("synonym_bank")
        bank = (
            SynonymBank.load(self.resolve(path), classes, self.config.get("synonym_bank_size"))
            if path
            else SynonymBank.ground_truth_only(classes)
        )
        if not words:
            return bank
        merged = {c: bank.words[c] for c in classes if c not in bank.missing}
        return SynonymBank.from_dict({**merged, **words}, classes, "the words sent with synonyms/score")

    def stored_choices(self) -> dict:
        """{image id: {class: word}} of selection/prompt_selection.json, {} when the run has none."""
        path = self.path / "selection" / "prompt_selection.json"
        if not path.is_file():
            return {}
        images = _read_json(path, "the run's stored prompt selection").get("images") or {}
        return {i: {c: e.get("word") for c, e in per.items() if isinstance(e, dict)} for i, per in images.items()}

    def clip(self):
        """The run's frozen CLIP, loaded once per (run, clip config, checkpoint file) in this process."""
        from .. import device as devices
        from ..models.clip_model import ClipScorer

        cfg = fill_section("clip", self.config.get("clip"))  # the schema's defaults, for hand-written configs
        try:
            device = devices.resolve_device(self.config.get("device", "auto"))
        except EngineError:  # e.g. a run trained on CUDA, scored here on a laptop
            device = devices.resolve_device("auto")
        checkpoint = self.resolve(cfg["checkpoint"]) if cfg.get("checkpoint") else None
        stamp = checkpoint.stat().st_mtime_ns if checkpoint and checkpoint.is_file() else None
        key = (str(self.path), json.dumps(cfg, sort_keys=True), str(device), stamp)
        with _cache_lock:
            if key in _clips:
                _clips.move_to_end(key)
                return _clips[key]
        scorer = ClipScorer.from_config(cfg, device, self.resolve)
        log.info("synonyms/score: loaded CLIP %s on %s for run %s", scorer.description, device, self.path)
        with _cache_lock:
            _clips[key] = scorer
            while len(_clips) > _CACHE_SIZE:
                _clips.popitem(last=False)
        return scorer


def score_words(params: dict, cancelled: threading.Event) -> dict:
    """The `synonyms/score` handler (rpc/server.py runs it on its own thread; `cancelled` = $/cancelRequest)."""
    from ..pole.selection import select_offline

    def check_cancelled() -> None:
        if cancelled.is_set():
            raise Cancelled("synonyms/score was cancelled", "")

    run = RunSource(params["runDir"])
    image_ids = list(dict.fromkeys(str(i) for i in params["imageIds"]))
    datasets = run.datasets()
    classes = datasets[0].classes
    wanted = params.get("classes")
    unknown = [c for c in wanted or [] if c not in classes]
    if unknown:
        raise DatasetError(
            f"class(es) {unknown} are not classes of run {run.path}",
            f"its dataset's classes are {classes}",
            run.path / "config.json",
        )
    words = _check_words(params.get("words"))
    owner = {i: next((d for d in datasets if i in d.image_paths), None) for i in image_ids}
    missing = [i for i, d in owner.items() if d is None]
    if missing:
        lists = " or ".join(repr(d.list_name) for d in datasets)
        raise DatasetError(
            f"image id(s) {missing[:5]} are not in list {lists} of dataset {datasets[0].root}",
            "choose images of the run's dataset",
            datasets[0].root,
        )
    sets = run.cam_sets()
    by_set: dict[Path, list[str]] = {}
    for image_id in image_ids:
        by_set.setdefault(run.cam_dir_for(image_id, sets), []).append(image_id)
    bank = run.bank(classes, words)
    keep_class = (lambda image_id, k: classes[k] in wanted) if wanted else None
    clip = run.clip()
    _acquire(_scoring_lock, check_cancelled)
    try:
        result: dict = {}
        for cams_dir, ids in by_set.items():
            items = ((i, np.asarray(owner[i].read_image(i), dtype=np.uint8)) for i in ids)
            select_offline(
                items,
                cams_dir,
                clip,
                bank,
                classes,
                batch_size=BATCH_SIZE,
                check_cancelled=check_cancelled,
                result=result,
                keep=keep_class,
            )
    finally:
        _scoring_lock.release()
    stored = run.stored_choices()
    out = []
    for image_id in image_ids:
        for cls, entry in result.get(image_id, {}).items():
            item = {"imageId": image_id, "class": cls, "scores": entry["scores"]}
            chosen = stored.get(image_id, {}).get(cls)
            if chosen in entry["scores"]:
                item["chosen"] = chosen
            out.append(item)
    return {"scores": out}


def _check_words(words: Any) -> dict | None:
    if words is None:
        return None
    if not isinstance(words, dict) or not all(
        isinstance(v, list) and all(isinstance(w, str) for w in v) for v in words.values()
    ):
        from ..errors import ConfigInvalid

        raise ConfigInvalid(
            "synonyms/score: words must be an object {class: [word, ...]}",
            "send the bank's words per class, ground-truth word first",
        )
    return words


def _acquire(lock: threading.Lock, check_cancelled: Callable[[], None]) -> None:
    while not lock.acquire(timeout=0.2):
        check_cancelled()


def _read_json(path: Path, what: str) -> dict:
    data = read_json_file(path, what, RunFolderError, "the file is damaged; re-run the stage that writes it")
    if not isinstance(data, dict):
        raise RunFolderError(f"{what} {path} is not a JSON object", "the file is damaged", path)
    return data


register_request("synonyms/score", score_words)
