"""Non-finite / out-of-range numbers and files that are not UTF-8 (issue 12 items 3, 4; docs/BAD-INPUT.md):
each gets ConfigInvalid (or DatasetError for dataset files) naming the file, the problem and, for numbers, the
JSON pointer; a training that diverges stops at the failing step without checkpointing it."""

from __future__ import annotations

import json

import pytest
import torch

from training_world import make_voc_root, metrics, run_pipeline, write_config
from wsss_engine.errors import ConfigInvalid, DatasetError
from wsss_engine.runs.config import load_config, validate_config

torch.set_num_threads(1)

GOOD = {"name": "x", "seed": 1, "stages": [{"id": "b", "type": "baseline_cam", "lr": 0.01}]}
TEXT = json.dumps(GOOD)


@pytest.mark.parametrize(
    "text, pointer, says",
    [
        (TEXT.replace("0.01", "NaN"), "/stages/0/lr", "NaN"),
        (TEXT.replace("0.01", "Infinity"), "/stages/0/lr", "Infinity"),
        (TEXT.replace("0.01", "-Infinity"), "/stages/0/lr", "-Infinity"),
        (TEXT.replace("0.01", "1e400"), "/stages/0/lr", "1e400"),
        (TEXT.replace('"seed": 1', f'"seed": {2**64}'), "/seed", "maximum"),
        (TEXT.replace('"seed": 1', f'"seed": {2**53}'), "/seed", "maximum"),
        (TEXT.replace('"seed": 1', '"seed": -1'), "/seed", "minimum"),
        (TEXT.replace('"name": "x"', '"name": "x", "synonym_bank": "a\\u0000b"'), "/synonym_bank", "NUL character"),
        (TEXT.replace('"name": "x"', '"name": "\\ud800"'), "/name", "lone UTF-16 surrogate"),
    ],
)
def test_numbers_out_of_range_point_at_the_value(tmp_path, text, pointer, says):
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(ConfigInvalid) as info:
        load_config(path)
    assert info.value.path == str(path) and str(path) in info.value.message
    assert any(e["path"] == pointer and says in e["message"] for e in info.value.errors), info.value.errors


def test_largest_seed_is_accepted_and_python_dicts_with_nan_are_refused():
    assert validate_config({**GOOD, "seed": 2**53 - 1}, None).config["seed"] == 2**53 - 1
    with pytest.raises(ConfigInvalid) as info:
        validate_config({**GOOD, "stages": [{"id": "b", "type": "baseline_cam", "lr": float("nan")}]}, None)
    assert [e["path"] for e in info.value.errors] == ["/stages/0/lr"]


ENCODINGS = {
    "latin-1": ('{"name": "caf\u00e9"}'.encode("latin-1"), "not UTF-8: byte 0xe9"),
    "utf-16 with BOM": ('{"name": "x"}'.encode("utf-16"), "UTF-16"),
    "utf-16 without BOM": ('{"name": "x"}'.encode("utf-16-le"), "UTF-16"),
    "binary": (bytes(range(256)), "NUL byte at byte offset 0"),
    "embedded NUL": (b'{"name": "x\x00"}', "NUL byte at byte offset 11"),
}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_config_not_utf8_is_config_invalid_naming_file_and_encoding(tmp_path, name):
    raw, says = ENCODINGS[name]
    path = tmp_path / "config.json"
    path.write_bytes(raw)
    with pytest.raises(ConfigInvalid) as info:
        load_config(path)
    assert says in info.value.message and str(path) in info.value.message, info.value.message
    assert "UTF-8" in info.value.hint and info.value.errors[0]["path"] == ""


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    assert load_config(path).config["name"] == "x"


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_bank_labels_and_class_list_not_utf8(tmp_path, name):
    from wsss_engine.data.layout import resolve_classes
    from wsss_engine.pole.synonym_bank import SynonymBank

    raw, says = ENCODINGS[name]
    bank = tmp_path / "bank.json"
    bank.write_bytes(raw)
    with pytest.raises(ConfigInvalid, match="synonym bank") as info:
        SynonymBank.load(bank, ["cat"])
    assert says in info.value.message and info.value.path == str(bank)
    (tmp_path / "classes.json").write_bytes(raw)
    with pytest.raises(DatasetError, match="class list") as info:
        resolve_classes(tmp_path, "auto")
    assert says in info.value.message and info.value.path == str(tmp_path / "classes.json")


def test_selection_file_not_utf8_fails_the_clims_stage_with_dataset_error(tmp_path):
    root = make_voc_root(tmp_path / "data", n=8)
    selection = tmp_path / "selection.json"
    selection.write_bytes('{"images": {"x": "caf\u00e9"}}'.encode("latin-1"))
    stage = {
        "id": "clims",
        "type": "train_clims",
        "init": None,
        "prompt": "selected",
        "selection": str(selection),
        "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
        "batch_size": 4,
        "epochs": 1,
    }
    from training_world import tiny_clip_checkpoint

    config = write_config(tmp_path / "c.json", root, tiny_clip_checkpoint(tmp_path / "clip.pt"), [stage])
    status, error = run_pipeline(config, tmp_path / "run")
    assert status == "failed" and error["kind"] == "DatasetError", error  # official_stats.load_selection
    assert str(selection) in error["message"] and "not UTF-8" in error["message"]


def baseline(lr: float, **extra) -> dict:
    return {
        "id": "baseline",
        "type": "baseline_cam",
        "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
        "batch_size": 4,
        "epochs": 2,
        "lr": lr,
        "log_every": 1,
        "num_workers": 0,
        **extra,
    }


def test_divergence_fails_at_its_step_without_checkpointing_it(tmp_path):
    root = make_voc_root(tmp_path / "data")
    config = write_config(tmp_path / "c.json", root, None, [baseline(1e8, checkpoint_every=1)])
    status, error = run_pipeline(config, tmp_path / "run")
    assert status == "failed" and error["kind"] == "StageFailed", error
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "failed" and record["stages"][0]["status"] == "failed"
    assert "'baseline'" in error["message"] and "diverged at step 4" in error["message"]
    last = metrics(tmp_path / "run", "baseline")[-1]
    assert last["step"] == 3 and f"last finite loss: {last['loss']:.6g}" in error["message"]
    assert "lower the stage's lr" in error["hint"]
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "baseline.pt", weights_only=True)
    assert ckpt["step"] == 3  # the failing step was not saved
    # its weights had already exploded: a resume fails at once and says to delete the checkpoint
    config = write_config(tmp_path / "c.json", root, None, [baseline(0.01, checkpoint_every=1)])
    status, error = run_pipeline(config, tmp_path / "run", resume=True)
    assert status == "failed" and "delete" in error["hint"] and "baseline.pt" in error["hint"]
    (tmp_path / "run" / "checkpoints" / "baseline.pt").unlink()
    assert run_pipeline(config, tmp_path / "run", resume=True)[0] == "completed"


def test_resume_uses_the_configured_lr(tmp_path):
    root = make_voc_root(tmp_path / "data")
    config = write_config(tmp_path / "c.json", root, None, [baseline(0.05)])
    assert run_pipeline(config, tmp_path / "run", cancel_at=("baseline", 2))[0] == "cancelled"
    before = {m["step"]: m["lr"] for m in metrics(tmp_path / "run", "baseline")}
    config = write_config(tmp_path / "c.json", root, None, [baseline(0.01)])
    assert run_pipeline(config, tmp_path / "run", resume=True)[0] == "completed"
    after = {m["step"]: m["lr"] for m in metrics(tmp_path / "run", "baseline") if m["step"] > max(before)}
    fresh = tmp_path / "fresh"
    assert run_pipeline(config, fresh)[0] == "completed"
    reference = {m["step"]: m["lr"] for m in metrics(fresh, "baseline")}
    assert after and all(after[s] == pytest.approx(reference[s]) for s in after)


def test_an_error_outside_any_stage_is_failed_in_run_json_and_to_the_caller(tmp_path, monkeypatch):
    from wsss_engine import device

    root = make_voc_root(tmp_path / "data", n=8)
    config = write_config(tmp_path / "c.json", root, None, [baseline(0.05)])

    def broken_seed(seed: int) -> None:
        raise ValueError("seed out of range")

    monkeypatch.setattr(device, "seed_everything", broken_seed)
    status, error = run_pipeline(config, tmp_path / "run")
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert status == record["status"] == "failed" and "seed out of range" in error["message"]
    assert record["error"]["message"] == error["message"]
