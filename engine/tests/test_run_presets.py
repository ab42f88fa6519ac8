"""Named presets of the VOC recipes (issue 9 items 4, 6, 7): the POLE schedule, the numerics, the torchrun batch."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from wsss_engine.errors import ConfigInvalid
from wsss_engine.runs.config import load_config
from wsss_engine.stages.train_clims import schedule_preset
from wsss_engine.training.distributed import DistInfo, per_rank_batch
from wsss_engine.training.numerics import numerics
from wsss_engine.training.setup import loop_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
VOC_CONFIGS = sorted(CONFIGS.glob("voc-*.wsss-run.json"))


def ctx(**config):
    return SimpleNamespace(config=config)


def test_schedule_presets_code_is_the_default():
    assert schedule_preset({}) == {"epochs": 15, "schedule": "poly"}  # POLE run_CLIMS.sh
    assert schedule_preset({"schedule_preset": "paper"})["epochs"] == 10  # POLE §4.1
    assert schedule_preset({"schedule_preset": "paper"})["schedule"] == "cosine"
    assert schedule_preset({"schedule_preset": "paper", "epochs": 3})["epochs"] == 3  # explicit wins
    with pytest.raises(ConfigInvalid, match="schedule_preset"):
        schedule_preset({"schedule_preset": "fast"})


@pytest.mark.parametrize("path", VOC_CONFIGS, ids=lambda p: p.name)
def test_voc_configs_use_the_code_schedule_and_reference_numerics(path):
    config = load_config(path).config
    assert config["numerics"] == "reference"
    for stage in config["stages"]:
        if stage["type"] in ("baseline_cam", "train_clims"):
            assert loop_config(ctx(**config), stage).amp == "off"  # fp32 ResNet
        if stage["type"] == "train_clims":
            assert {k: schedule_preset(stage)[k] for k in ("epochs", "schedule")} == {"epochs": 15, "schedule": "poly"}
            assert "schedule_preset" in stage or "code" in config["description"]
        if stage["type"] == "infer_cams":
            assert stage.get("amp", numerics(config)["infer_amp"]) is False  # fp32 CAM inference


def test_numerics_presets():
    assert numerics({}) == {"train_amp": "off", "infer_amp": False}
    assert numerics({"numerics": "fast"}) == {"train_amp": "bf16", "infer_amp": True}
    assert loop_config(ctx(numerics="fast"), {}).amp == "bf16"
    assert loop_config(ctx(numerics="fast"), {"amp": "off"}).amp == "off"  # the stage's own amp wins
    with pytest.raises(ConfigInvalid, match="numerics"):
        numerics({"numerics": "turbo"})


def test_torchrun_batch_is_split_across_ranks_by_default():
    assert per_rank_batch(16, 1) == 16
    assert per_rank_batch(16, 2) == 8 and per_rank_batch(16, 4) == 4
    assert per_rank_batch(16, 2, "scale") == 16
    with pytest.raises(ConfigInvalid, match="cannot be split evenly across 3"):
        per_rank_batch(16, 3)
    two = DistInfo(rank=1, world=2)
    assert loop_config(ctx(), {"batch_size": 16}, two).batch_size == 8
    assert loop_config(ctx(), {"batch_size": 16, "distributed_batch": "scale"}, two).batch_size == 16
    assert loop_config(ctx(), {}, two, batch_size=16).batch_size == 8


def test_camera_ready_preset_has_its_own_prompt_form():
    """Camera-ready CLIMS: "a photo of {}" with "person", "diningtable" (METHOD §1.3); improved: the bank's words."""
    from wsss_engine.data.layout import VOC_CLASSES
    from wsss_engine.losses.clims import loss_config
    from wsss_engine.pole.synonym_bank import SynonymBank
    from wsss_engine.stages.train_clims import class_prompts

    bank = SynonymBank.load(CONFIGS / "banks" / "voc-synonyms.json", list(VOC_CLASSES))
    words, template = class_prompts(loss_config("camera_ready"), {}, bank, VOC_CLASSES)
    assert template == "a photo of {}" and words[14] == "person" and words[10] == "diningtable"
    assert template.format(words[14]) == "a photo of person"
    words, template = class_prompts(loss_config("pole_code"), {}, bank, VOC_CLASSES)
    assert template == "a photo of {}." and words[14] == "player" and words[10] == "dining table"
    assert (
        class_prompts(loss_config("camera_ready"), {"template": "an image of {}."}, bank, VOC_CLASSES)[1]
        == "an image of {}."
    )
