"""Confusion-matrix mIoU (METHOD §6) and CAM predictions / threshold sweep (METHOD §3.2), checked on the real
VOC 2012 val masks against an independent per-class computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from shared_data import VOC2012, require
from wsss_engine.data.layout import BACKGROUND, VOC_CLASSES
from wsss_engine.evaluation.miou import (
    CamThresholdSweep,
    SemSegEvaluator,
    cam_to_prediction,
    confusion_matrix,
    default_thresholds,
    iou_per_class,
    mean_iou,
)

NAMES = [BACKGROUND, *VOC_CLASSES]


def val_masks(step: int):
    folder = require(VOC2012 / "SegmentationClassAug_val")
    paths = sorted(folder.glob("*.png"))[::step]
    assert paths, f"no masks in {folder}"
    return [np.array(Image.open(p)) for p in paths]


def shifted_eroded(gt: np.ndarray) -> np.ndarray:
    """A plausible wrong prediction: GT moved by (7, -5) px, objects eroded by one 4-neighbour step, 255 -> 0."""
    pred = np.roll(gt, (7, -5), axis=(0, 1)).astype(np.int64)
    pred[pred == 255] = 0
    keep = np.ones_like(pred, dtype=bool)
    keep[1:] &= pred[1:] == pred[:-1]
    keep[:-1] &= pred[:-1] == pred[1:]
    keep[:, 1:] &= pred[:, 1:] == pred[:, :-1]
    keep[:, :-1] &= pred[:, :-1] == pred[:, 1:]
    return np.where(keep, pred, 0)


def independent_miou(pairs, n: int = 21):
    """Per class: |GT∩P| / |GT∪P| over non-ignored pixels, counted with boolean masks (no confusion matrix)."""
    inter = np.zeros(n, np.int64)
    union = np.zeros(n, np.int64)
    for gt, pred in pairs:
        valid = gt != 255
        for c in range(n):
            g, p = (gt == c) & valid, (pred == c) & valid
            inter[c] += np.count_nonzero(g & p)
            union[c] += np.count_nonzero(g | p)
    ious = [inter[c] / union[c] for c in range(n) if union[c] > 0]
    return sum(ious) / len(ious), {c: inter[c] / union[c] for c in range(n) if union[c] > 0}


def test_ground_truth_against_itself_is_100():
    ev = SemSegEvaluator(NAMES)
    for gt in val_masks(step=5):
        ev.process(gt, np.where(gt == 255, 0, gt))
    result = ev.evaluate()
    assert result["miou"] == 1.0
    assert result["per_class_iou"] == [1.0] * 21  # every VOC class occurs in 290 val images
    assert result["n_images"] == len(val_masks(step=5))


def test_shifted_eroded_prediction_matches_independent_computation():
    masks = val_masks(step=10)
    pairs = [(gt, shifted_eroded(gt)) for gt in masks]
    ev = SemSegEvaluator(NAMES)
    for gt, pred in pairs:
        ev.process(gt, pred)
    expected, per_class = independent_miou(pairs)
    result = ev.evaluate()
    assert 0.3 < result["miou"] < 0.95  # a real degradation, not a trivial case
    assert result["miou"] == pytest.approx(expected, abs=1e-12)
    for c, iou in per_class.items():
        assert result["per_class_iou"][c] == pytest.approx(iou, abs=1e-12)


def test_ignore_label_is_ignored():
    gt = val_masks(step=100)[3]
    assert (gt == 255).any()
    pred = shifted_eroded(gt)
    scrambled = pred.copy()
    scrambled[gt == 255] = np.arange((gt == 255).sum()) % 21  # anything where GT is 255
    conf = confusion_matrix(gt, pred, 21)
    assert conf.sum() == np.count_nonzero(gt != 255)
    np.testing.assert_array_equal(conf, confusion_matrix(gt, scrambled, 21))


def test_nanmean_skips_classes_absent_from_gt_and_prediction():
    gt = np.array([[0, 0, 1, 1], [0, 0, 1, 255]])
    pred = np.array([[0, 0, 1, 2], [0, 1, 1, 3]])
    iou = iou_per_class(confusion_matrix(gt, pred, 5))
    # by hand: bg I=3 U=4; class 1 I=2 U=4; class 2 only predicted -> 0;
    # class 3 predicted only where GT is 255 -> ignored -> NaN; class 4 absent -> NaN
    assert iou[0] == 0.75 and iou[1] == 0.5 and iou[2] == 0.0
    assert math.isnan(iou[3]) and math.isnan(iou[4])
    assert mean_iou(confusion_matrix(gt, pred, 5)) == pytest.approx((0.75 + 0.5 + 0.0) / 3)


def test_out_of_range_labels_raise():
    with pytest.raises(ValueError, match="ground truth has label 21"):
        confusion_matrix(np.array([21]), np.array([0]), 21)
    with pytest.raises(ValueError, match="prediction has label 30"):
        confusion_matrix(np.array([1]), np.array([30]), 21)


def test_cam_to_prediction_background_plane_and_keys():
    cams = np.array([[[0.1, 0.5, 0.15]], [[0.2, 0.4, 0.9]]], np.float32)  # keys: classes 3 and 14
    pred = cam_to_prediction(cams, [3, 14], threshold=0.15)
    # pixel 0: best 0.2 (key 14) > 0.15 -> 15; pixel 1: best 0.5 (key 3) -> 4; pixel 2: 0.9 (key 14) -> 15
    np.testing.assert_array_equal(pred, [[15, 4, 15]])
    np.testing.assert_array_equal(cam_to_prediction(cams, [3, 14], threshold=0.5), [[0, 0, 15]])  # tie -> bg
    np.testing.assert_array_equal(cam_to_prediction(np.zeros((0, 1, 3)), [], 0.15), [[0, 0, 0]])


def test_sweep_equals_direct_computation_per_threshold():
    rng = np.random.default_rng(0)
    masks = val_masks(step=50)
    thresholds = default_thresholds()
    sweep = CamThresholdSweep(NAMES, thresholds)
    direct = [SemSegEvaluator(NAMES) for _ in thresholds]
    for gt in masks:
        keys = [c - 1 for c in np.unique(gt) if 0 < c < 255]
        # CAM-like maps: the GT region of each key plus noise, rounded to float16 like saved CAM files
        cams = (
            np.stack([(gt == k + 1) * 0.6 + rng.random(gt.shape) * 0.5 for k in keys]).astype(np.float16)
            if keys
            else np.zeros((0, *gt.shape), np.float16)
        )
        sweep.process(gt, cams, keys)
        for ev, t in zip(direct, thresholds):
            ev.process(gt, cam_to_prediction(cams, keys, t))
    result = sweep.evaluate(threshold=0.15)
    assert [row["threshold"] for row in result["sweep"]] == pytest.approx(list(thresholds))
    for row, ev in zip(result["sweep"], direct):
        assert row["miou"] == pytest.approx(ev.evaluate()["miou"], abs=1e-12)
    np.testing.assert_array_equal(result["confusion"], direct[2].confusion)  # thresholds[2] == 0.15
    best = max(result["sweep"], key=lambda r: r["miou"])
    assert result["best"] == best
    assert len({round(r["miou"], 6) for r in result["sweep"]}) > 5  # the threshold matters on these maps


def test_evaluator_reset_forgets_images():
    gt = val_masks(step=200)[0]
    ev = SemSegEvaluator(NAMES)
    ev.process(gt, np.zeros_like(gt))
    ev.reset()
    ev.process(gt, np.where(gt == 255, 0, gt))
    assert ev.evaluate()["miou"] == 1.0 and ev.evaluate()["n_images"] == 1
