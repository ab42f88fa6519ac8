"""Engine request `synonyms/score` (rpc/synonym_scoring.py, METHOD §2.2) over a real `python -m wsss_engine serve`.

The run folder is real: a tiny VOC-layout world, a CAM model trained for one epoch, its CAMs (infer_cams) and
POLE's offline selection (select_prompts) with a tiny CLIP checkpoint, all through the pipeline. The engine's
live scores must then be the stored ones (same CAMs, CLIP and words), and `chosen` the stored choice.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest
import torch

from engine_client import EngineClient
from training_world import (
    SELECTION_STAGES,
    BANK,
    CLASSES,
    make_voc_root,
    run_pipeline,
    tiny_clip_checkpoint,
    write_config,
)

torch.set_num_threads(1)

RUN_NOT_FOUND, DATASET_ERROR, CONFIG_INVALID, CANCELLED = -32003, -32005, -32001, -32800


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("synonym-scoring")
    root = make_voc_root(tmp / "data", n=6)
    config = write_config(tmp / "config.json", root, tiny_clip_checkpoint(tmp / "tiny_clip.pt"), SELECTION_STAGES)
    status, error = run_pipeline(config, tmp / "run")
    assert status == "completed", error
    selection = json.loads((tmp / "run" / "selection" / "prompt_selection.json").read_text())
    return {
        "tmp": tmp,
        "run": tmp / "run",
        "labels": json.loads((root / "labels.json").read_text()),
        "selection": selection["images"],
    }


@pytest.fixture(scope="module")
def engine():
    client = EngineClient()
    yield client
    client.close()


def score(engine: EngineClient, timeout: float = 60, **params) -> dict:
    return engine.request("synonyms/score", params, timeout=timeout)


def test_scores_are_the_stored_selections_cosines_and_chosen_is_its_argmax(world, engine):
    ids = sorted(world["labels"])
    response = score(engine, runDir=str(world["run"]), imageIds=ids)
    assert "result" in response, response.get("error")
    entries = response["result"]["scores"]
    # every image, every GT class (METHOD §2.2), class-ascending per image, in request order
    assert [(e["imageId"], e["class"]) for e in entries] == [
        (i, c) for i in ids for c in sorted(world["labels"][i], key=CLASSES.index)
    ]
    for e in entries:
        assert set(e) == {"imageId", "class", "chosen", "scores"}
        assert list(e["scores"]) == BANK[e["class"]]
        assert all(-1.0 <= v <= 1.0 for v in e["scores"].values())
        stored = world["selection"][e["imageId"]][e["class"]]
        assert e["chosen"] == stored["word"] == max(stored["scores"], key=stored["scores"].get)
        assert e["scores"] == pytest.approx(stored["scores"], abs=1e-4)  # same CAMs, CLIP and words
        assert e["chosen"] == max(e["scores"], key=e["scores"].get)


def test_classes_filter_and_unsaved_words_and_clip_loaded_once(world, engine):
    image = next(i for i, names in sorted(world["labels"].items()) if "red" in names and len(names) == 2)
    other = next(c for c in world["labels"][image] if c != "red")
    stored_red = world["selection"][image]["red"]["word"]
    extra = [w for w in ("river", "stone") if w != stored_red]
    response = score(
        engine, runDir=str(world["run"]), imageIds=[image], classes=["red"], words={"red": [stored_red, *extra]}
    )
    assert "result" in response, response.get("error")
    [entry] = response["result"]["scores"]
    assert entry["class"] == "red" and list(entry["scores"]) == [stored_red, *extra]
    assert entry["chosen"] == stored_red
    assert entry["scores"][stored_red] == pytest.approx(
        world["selection"][image]["red"]["scores"][stored_red], abs=1e-4
    )
    # words without the stored choice: no `chosen` (the panel then marks the best score)
    [entry] = score(
        engine, runDir=str(world["run"]), imageIds=[image], classes=["red"], words={"red": ["river", "stone"]}
    )["result"]["scores"]
    assert "chosen" not in entry and set(entry["scores"]) == {"river", "stone"}
    [entry] = score(engine, runDir=str(world["run"]), imageIds=[image], classes=[other])["result"]["scores"]
    assert entry["class"] == other and list(entry["scores"]) == BANK[other]
    loads = [line for line in engine.stderr_lines if "loaded CLIP" in line]
    assert len(loads) == 1, loads  # one run, one CLIP: loaded by the first request, reused since


def test_errors_name_the_run_the_image_and_the_stage_to_run(world, engine):
    error = score(engine, runDir=str(world["tmp"] / "nowhere"), imageIds=["img_000"])["error"]
    assert error["code"] == RUN_NOT_FOUND and "nowhere" in error["message"] and error["data"]["kind"] == "RunNotFound"
    error = score(engine, runDir=str(world["run"]), imageIds=["img_000", "no_such_image"])["error"]
    assert error["code"] == DATASET_ERROR and "no_such_image" in error["message"]
    error = score(engine, runDir=str(world["run"]), imageIds=["img_000"], classes=["purple"])["error"]
    assert error["code"] == DATASET_ERROR and "purple" in error["message"]
    error = score(engine, runDir=str(world["run"]), imageIds=["img_000"], words={"red": ["red", "red"]})["error"]
    assert error["code"] == CONFIG_INVALID and "twice" in error["message"]
    # a run whose infer_cams stage has not run yet: the message says which stage to run
    fresh = world["tmp"] / "fresh-run"
    fresh.mkdir()
    shutil.copy(world["run"] / "config.json", fresh / "config.json")
    error = score(engine, runDir=str(fresh), imageIds=["img_000"])["error"]
    assert error["code"] == DATASET_ERROR and "no CAMs yet" in error["message"] and "'cams'" in error["data"]["hint"]
    # a weights file that is gone: WeightsMissing naming it
    config = json.loads((world["run"] / "config.json").read_text())
    config["clip"]["checkpoint"] = str(world["tmp"] / "gone.pt")
    (fresh / "config.json").write_text(json.dumps(config))
    shutil.copytree(world["run"] / "cams", fresh / "cams")
    error = score(engine, runDir=str(fresh), imageIds=["img_000"])["error"]
    assert error["code"] == -32004 and "gone.pt" in error["message"]


def test_cancel_request_answers_cancelled_and_the_engine_goes_on(world, engine):
    copy = world["tmp"] / "run-copy"  # another run folder: its CLIP is not cached yet, so the work is long
    shutil.copytree(world["run"], copy, ignore=shutil.ignore_patterns(".lock"))
    msg_id = engine.request_async("synonyms/score", {"runDir": str(copy), "imageIds": sorted(world["labels"])})
    engine.notify("$/cancelRequest", {"id": msg_id})
    error = engine.response(msg_id, timeout=60)["error"]
    assert error["code"] == CANCELLED, error
    started = time.monotonic()
    response = score(engine, runDir=str(copy), imageIds=["img_000"])
    assert "result" in response and response["result"]["scores"], response.get("error")
    assert time.monotonic() - started < 30


def test_an_engine_without_the_scoring_module_answers_32601(world):
    old_engine = EngineClient({"WSSS_ENGINE_PLUGINS": "without_synonym_scoring"})
    try:
        error = score(old_engine, runDir=str(world["run"]), imageIds=["img_000"])["error"]
        assert error["code"] == -32601 and "no module of this engine implements it" in error["message"]
    finally:
        old_engine.close()
