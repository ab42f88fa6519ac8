"""Dense CRF (refine/crf.py, METHOD §4.1) on the real photos: our IR-label CRF equals an independent
computation through pydensecrf2's own API with the reference parameters; a missing package is a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from shared_data import PHOTOS, photo_ids, require
from wsss_engine.errors import EngineError
from wsss_engine.refine import crf
from wsss_engine.refine.ir_labels import confident_labels, ir_label

pytest.importorskip("pydensecrf.densecrf", reason="the engine's 'crf' extra (pydensecrf2) is not installed")


def cam_like(image_id: str, long_side: int = 240):
    """(RGB image, K×H×W CAM-like maps, keys, GT) of a photo downscaled to `long_side` (speed): each GT class's
    mask blurred and max-normalised, like a CAM."""
    root = require(PHOTOS)
    photo = Image.open(root / "JPEGImages" / f"{image_id}.jpg").convert("RGB")
    size = tuple(round(n * long_side / max(photo.size)) for n in photo.size)
    image = np.array(photo.resize(size, Image.BICUBIC))
    gt = np.array(Image.open(root / "SegmentationClass" / f"{image_id}.png").resize(size, Image.NEAREST))
    present = [int(c) for c in np.unique(gt) if 0 < c < 255]
    maps = []
    for c in present:
        blurred = np.asarray(
            Image.fromarray(((gt == c) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(6)), np.float32
        )
        maps.append(blurred / max(blurred.max(), 1e-5))
    return image, np.stack(maps), np.array(present) - 1, gt


def reference_crf_labels(image, labels, n_labels):
    """IRN's crf_inference_label written against pydensecrf2 directly (METHOD §4.1 parameters)."""
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_labels

    h, w = image.shape[:2]
    d = dcrf.DenseCRF2D(w, h, n_labels)
    d.setUnaryEnergy(unary_from_labels(labels, n_labels, gt_prob=0.7, zero_unsure=False))
    d.addPairwiseGaussian(sxy=3, compat=3)
    d.addPairwiseBilateral(sxy=50, srgb=5, rgbim=np.ascontiguousarray(np.copy(image)), compat=10)
    return np.argmax(np.array(d.inference(10)).reshape((n_labels, h, w)), axis=0)


@pytest.mark.parametrize("image_id", photo_ids()[:2] + photo_ids()[-1:] if PHOTOS.exists() else ["none"])
def test_crf_labels_match_pydensecrf_reference(image_id):
    image, maps, keys, _ = cam_like(image_id)
    for threshold in (0.30, 0.10):
        raw = np.argmax(np.concatenate([np.full((1, *maps.shape[1:]), threshold, np.float32), maps]), axis=0)
        ids = np.concatenate([[0], keys + 1])
        ours = confident_labels(image, maps, keys, threshold)
        reference = ids[reference_crf_labels(image, raw, len(ids))]
        assert np.mean(ours == reference) >= 0.9999, image_id
        assert np.mean(ours != ids[raw]) > 1e-3  # the CRF did change the labels


def test_ir_label_on_a_photo_has_confident_fg_bg_and_ignore():
    image, maps, keys, gt = cam_like(photo_ids()[1])
    label = ir_label(image, maps, keys, 0.30, 0.10)
    fg = confident_labels(image, maps, keys, 0.30)
    assert label.dtype == np.uint8 and label.shape == gt.shape
    assert set(np.unique(label)) <= {0, 255, *(keys + 1).tolist()}
    assert (label == 255).mean() > 0.005 and (label == 0).mean() > 0.05
    assert np.array_equal(label[fg > 0], fg[fg > 0])  # foreground comes from the fg-confident map
    sure = (label != 255) & (gt != 255)
    assert np.mean(label[sure] == gt[sure]) > 0.8  # confident pixels of blurred GT maps are mostly right
    with pytest.raises(ValueError, match="CAMs are"):
        ir_label(image[:-1], maps, keys, 0.30, 0.10)


def test_missing_crf_package_is_a_clear_error(monkeypatch):
    def broken():
        raise ImportError("No module named 'pydensecrf'")

    monkeypatch.setattr(crf, "_import", broken)
    assert not crf.crf_available()
    with pytest.raises(EngineError) as info:
        crf.require_crf()
    assert "pydensecrf2" in info.value.message and '"crf" extra' in info.value.hint
    assert "pip install pydensecrf2" in info.value.hint
    from wsss_engine.stages.ir_labels import run

    with pytest.raises(EngineError, match="pydensecrf2"):
        run.preflight({"stages": []}, {"cams": "cams"}, lambda p: p)
