"""CLIMS losses against hand-computed values (METHOD §1.4)."""

from __future__ import annotations

import math

import pytest
import torch

from wsss_engine.losses.clims import (
    PRESETS,
    btm_loss,
    cbs_loss_class_specific,
    cbs_loss_threshold,
    cosine,
    loss_config,
    otm_loss,
    reg_loss,
    total_loss,
)

torch.set_num_threads(1)


def unit(*v):
    return torch.tensor(v, dtype=torch.float32)


def test_otm_is_minus_mean_log_similarity_with_clamp():
    s = torch.tensor([0.5, 0.25, 1.0, -0.3])
    expected = -(math.log(0.5) + math.log(0.25) + math.log(0.9999) + math.log(1e-4)) / 4
    assert otm_loss(s).item() == pytest.approx(expected, rel=1e-6)


def test_btm_is_minus_mean_log_one_minus_similarity():
    s = torch.tensor([0.5, 0.2])
    expected = -(math.log(0.5) + math.log(0.8)) / 2
    assert btm_loss(s).item() == pytest.approx(expected, rel=1e-6)


def test_class_weights_scale_each_pair_then_mean():
    s = torch.tensor([0.5, 0.25])
    w = torch.tensor([3.0, 1.0])
    expected = -(3 * math.log(0.5) + math.log(0.25)) / 2
    assert otm_loss(s, w).item() == pytest.approx(expected, rel=1e-6)


def test_cosine_normalises_both_sides():
    a = torch.stack([unit(3, 0), unit(1, 1)])
    b = torch.stack([unit(1, 0), unit(0, 2)])
    assert cosine(a, b).tolist() == pytest.approx([1.0, 1 / math.sqrt(2)])


def test_cbs_sums_only_entries_above_threshold():
    # image embeddings e0, e1; background prompts at cos 0.6 / 0.1 (for e0) and 0.8 / 0.3 (for e1)
    img = torch.stack([unit(1, 0), unit(0, 1)])
    txt = torch.stack([unit(0.6, 0.8), unit(0.1, math.sqrt(1 - 0.01))])
    sims = [[0.6, 0.1], [0.8, math.sqrt(0.99)]]
    thr = 0.26
    expected = -sum(math.log(1 - s) for row in sims for s in row if s > thr)
    assert cbs_loss_threshold(img, txt, thr).item() == pytest.approx(expected, rel=1e-5)
    # a sum, not a mean: duplicating the batch doubles it (METHOD §7.14)
    assert cbs_loss_threshold(torch.cat([img, img]), txt, thr).item() == pytest.approx(2 * expected, rel=1e-5)
    assert cbs_loss_threshold(img, txt, 0.999).item() == 0.0


def test_cbs_class_specific_means_over_prompts_and_sums_over_images():
    img = torch.stack([unit(1, 0), unit(0, 1), unit(1, 0)])
    boat_txt = torch.stack([unit(0.5, math.sqrt(0.75)), unit(0, 1)])  # cos with e0: 0.5, 0; with e1: .866, 1
    classes = ["boat", "cat", "boat"]
    got = cbs_loss_class_specific(img, classes, {"boat": boat_txt}).item()
    per_boat_image = -(math.log(1 - 0.5) + math.log(1 - 0.0)) / 2
    assert got == pytest.approx(2 * per_boat_image, rel=1e-5)


def test_reg_forms():
    cams = torch.zeros(2, 3, 2, 2)
    cams[0, 0] = 1.0  # present class of image 0 fully on
    cams[1, 2] = 0.5  # absent class of image 1 half on
    labels = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    assert reg_loss(cams, form="all").item() == pytest.approx((4 * 1.0 + 4 * 0.5) / 24)
    assert reg_loss(cams, labels, form="present").item() == pytest.approx(4 * 1.0 / 8)


def test_presets_match_method_table():
    assert (PRESETS["improved"].otm, PRESETS["improved"].btm, PRESETS["improved"].cbs, PRESETS["improved"].reg) == (
        10,
        24,
        1,
        0.2,
    )
    assert (PRESETS["pole_code"].btm, PRESETS["pole_code"].reg) == (25, 0)
    cr = PRESETS["camera_ready"]
    assert (cr.btm, cr.cbs, cr.reg, cr.cbs_mode) == (25, 29.5, 1.15, "class_specific")
    assert cr.class_backgrounds["train"] == ["railroad", "railway", "branches", "tree"]
    assert PRESETS["improved"].cbs_threshold == 0.26 and len(PRESETS["improved"].background_words) == 10


def test_total_is_the_weighted_sum_and_overrides_apply():
    cfg = loss_config("pole_code", otm=2.0, cbs_threshold=0.5)
    assert (cfg.otm, cfg.btm, cfg.cbs_threshold) == (2.0, 25.0, 0.5)
    terms = {"otm": torch.tensor(1.0), "btm": torch.tensor(2.0), "cbs": torch.tensor(3.0), "reg": torch.tensor(4.0)}
    assert total_loss(cfg, terms).item() == pytest.approx(2 * 1 + 25 * 2 + 1 * 3 + 0 * 4)
    with pytest.raises(ValueError):
        loss_config("nope")
