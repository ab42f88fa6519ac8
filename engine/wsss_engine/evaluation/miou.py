"""Confusion-matrix mIoU and CAM -> prediction (METHOD §3.2, §6).

Conventions (METHOD §6, CLIMS `step/eval_cam.py`, deeplab `metric.py`):
- confusion matrix rows = ground truth, columns = prediction, n = C + 1 classes (background first);
- ground-truth pixels equal to 255 are ignored; any other value outside [0, n) is an error;
- IoU_c = diag / (row_sum + col_sum - diag); mIoU = nanmean over all n classes (a class absent from both
  GT and prediction has IoU NaN and does not count; a class only predicted has IoU 0).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

IGNORE_INDEX = 255


def confusion_matrix(
    gt: np.ndarray, pred: np.ndarray, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> np.ndarray:
    """n×n int64 counts, rows GT, columns prediction; GT == ignore_index skipped."""
    gt = np.asarray(gt).ravel().astype(np.int64)
    pred = np.asarray(pred).ravel().astype(np.int64)
    if gt.shape != pred.shape:
        raise ValueError(f"ground truth has {gt.size} pixels but prediction has {pred.size}")
    keep = gt != ignore_index
    gt, pred = gt[keep], pred[keep]
    _check_range("ground truth", gt, num_classes)
    _check_range("prediction", pred, num_classes)
    return np.bincount(gt * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _check_range(what: str, values: np.ndarray, num_classes: int) -> None:
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        bad = values[(values < 0) | (values >= num_classes)][0]
        raise ValueError(f"{what} has label {int(bad)} outside 0..{num_classes - 1} (and not ignore {IGNORE_INDEX})")


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU per class; NaN where the class is in neither GT nor prediction."""
    confusion = np.asarray(confusion, dtype=np.float64)
    diag = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - diag
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, diag / np.where(union > 0, union, 1), np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    iou = iou_per_class(confusion)
    return float(np.nanmean(iou)) if not np.all(np.isnan(iou)) else float("nan")


def json_number(x: float) -> Optional[float]:
    """NaN -> None so reports stay valid JSON."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def cam_to_prediction(cams: np.ndarray, keys: Sequence[int], threshold: float) -> np.ndarray:
    """METHOD §3.2: argmax over [bg plane = threshold, CAMs of the present classes], mapped through keys+1.

    cams: K×H×W (one map per key), keys: class indices 0..C-1. Ties go to background (argmax takes the
    first), i.e. a pixel is foreground iff its best class score is strictly above the threshold.
    """
    keys = np.asarray(keys, dtype=np.int64)
    if len(keys) == 0:
        return np.zeros(cams.shape[-2:], np.int64)
    cams = np.asarray(cams, dtype=np.float32)
    best = cams.max(0)
    label = keys[cams.argmax(0)] + 1
    return np.where(best > np.float32(threshold), label, 0)


class SemSegEvaluator:
    """detectron2-style: reset() / process(gt, pred) per image / evaluate() -> named metrics."""

    def __init__(self, class_names: Sequence[str], ignore_index: int = IGNORE_INDEX):
        self.class_names = list(class_names)
        self.num_classes = len(self.class_names)
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        self.confusion = np.zeros((self.num_classes, self.num_classes), np.int64)
        self.n_images = 0

    def process(self, gt: np.ndarray, pred: np.ndarray) -> None:
        self.confusion += confusion_matrix(gt, pred, self.num_classes, self.ignore_index)
        self.n_images += 1

    def evaluate(self) -> dict:
        iou = iou_per_class(self.confusion)
        return {
            "miou": mean_iou(self.confusion),
            "per_class_iou": [json_number(x) for x in iou],
            "n_images": self.n_images,
        }


def default_thresholds() -> np.ndarray:
    """0.05, 0.10, ..., 0.75 (CLIMS camera-ready `np.arange(0.05, 0.80, 0.05)`, METHOD §3.2), rounded."""
    return np.round(np.arange(0.05, 0.80, 0.05), 2)


class CamThresholdSweep:
    """CAM mIoU at every background threshold in one pass over the images (METHOD §3.2).

    A pixel's prediction at threshold t is its best present class a (independent of t) if its best CAM
    score m > t, else background. So per image we count (gt, a, b) with b = #{thresholds < m}: the pixel is
    foreground exactly for thresholds t_0..t_{b-1}. Summing counts over b > j (foreground) and b <= j
    (background) afterwards gives every threshold's confusion matrix without re-scanning the CAMs.
    """

    def __init__(
        self, class_names: Sequence[str], thresholds: Optional[Sequence[float]] = None, ignore_index: int = IGNORE_INDEX
    ):
        self.class_names = list(class_names)
        self.num_classes = len(self.class_names)
        self.thresholds = np.asarray(default_thresholds() if thresholds is None else thresholds, np.float32)
        if self.thresholds.size == 0 or np.any(np.diff(self.thresholds) <= 0):
            raise ValueError("thresholds must be a non-empty increasing sequence")
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        n, t = self.num_classes, len(self.thresholds)
        self.counts = np.zeros((n, n, t + 1), np.int64)  # [gt, best present class (as label), bin]
        self.n_images = 0

    def process(self, gt: np.ndarray, cams: np.ndarray, keys: Sequence[int]) -> None:
        gt = np.asarray(gt).astype(np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        if cams.shape[-2:] != gt.shape:
            raise ValueError(f"CAMs are {cams.shape[-2:]} but the ground truth is {gt.shape}")
        if len(keys):
            cams = np.asarray(cams, dtype=np.float32)
            best = cams.max(0)
            label = keys[cams.argmax(0)] + 1
            bins = np.searchsorted(self.thresholds, best, side="left")  # #thresholds strictly below best
        else:
            label = np.zeros(gt.shape, np.int64)
            bins = np.zeros(gt.shape, np.int64)
        keep = gt != self.ignore_index
        gt, label, bins = gt[keep], label[keep], bins[keep]
        _check_range("ground truth", gt, self.num_classes)
        _check_range("CAM keys", label, self.num_classes)
        n, t1 = self.num_classes, len(self.thresholds) + 1
        flat = (gt * n + label) * t1 + bins
        self.counts += np.bincount(flat, minlength=n * n * t1).reshape(n, n, t1)
        self.n_images += 1

    def confusions(self) -> np.ndarray:
        """T×n×n confusion matrices, one per threshold."""
        # fg[j] = counts with bin > j ; bg[j] = counts with bin <= j (pred = background)
        cum = np.cumsum(self.counts, axis=2)  # [..., j] = sum over bins <= j
        total = cum[..., -1:]
        t = len(self.thresholds)
        fg = (total - cum[..., :t]).transpose(2, 0, 1).copy()  # T×n×n
        bg = cum[..., :t].sum(axis=1).transpose(1, 0)  # T×n (per gt row)
        fg[:, :, 0] += bg  # label 0 never occurs as a foreground class, so column 0 only gets these
        return fg

    def evaluate(self, threshold: Optional[float] = None) -> dict:
        """{"sweep": [{"threshold", "miou"}], "best": {...}, + "threshold"/"miou"/"per_class_iou" if given}."""
        confusions = self.confusions()
        mious = [mean_iou(c) for c in confusions]
        sweep = [
            {"threshold": float(round(float(t), 4)), "miou": json_number(m)} for t, m in zip(self.thresholds, mious)
        ]
        valid = [i for i, m in enumerate(mious) if not math.isnan(m)]
        best_i = max(valid, key=lambda i: mious[i]) if valid else 0
        result = {"sweep": sweep, "best": sweep[best_i], "n_images": self.n_images}
        if threshold is not None:
            matches = np.flatnonzero(np.isclose(self.thresholds, threshold, atol=1e-6))
            if not matches.size:
                raise ValueError(f"threshold {threshold} is not one of the sweep thresholds")
            conf = confusions[matches[0]]
            result.update(
                threshold=float(threshold),
                miou=json_number(mean_iou(conf)),
                per_class_iou=[json_number(x) for x in iou_per_class(conf)],
                confusion=conf.tolist(),
            )
        return result
