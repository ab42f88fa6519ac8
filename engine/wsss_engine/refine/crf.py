"""Dense CRF, the one home for it (METHOD §4.1 IR labels, §5 DeepLab post-processing).

Wraps `pydensecrf2` (PyPI; imports as `pydensecrf`), the maintained fork of the reference's `pydensecrf`, which no
longer builds on current Python. It is the engine's optional extra `crf` (`pip install -e "engine[crf]"`,
scripts/setup-engine.sh installs it); it builds from source, so it needs a C++ compiler. Without it,
`require_crf()` raises an EngineError naming the extra and what to install.
"""

from __future__ import annotations

import numpy as np

from ..errors import EngineError

INSTALL_HINT = (
    'install the engine\'s "crf" extra: `.venv/bin/pip install pydensecrf2` (or `pip install -e '
    '"engine[crf]"`); it builds from source and needs a C++ compiler (Debian/Ubuntu: sudo apt install '
    'build-essential python3-dev; macOS: xcode-select --install). See README, "Dense CRF".'
)

# IRN `misc/imutils.crf_inference_label` (METHOD §4.1).
IR_LABEL_CRF = {
    "gaussian_sxy": 3.0,
    "gaussian_compat": 3.0,
    "bilateral_sxy": 50.0,
    "bilateral_srgb": 5.0,
    "bilateral_compat": 10.0,
}


def _import():
    import pydensecrf.densecrf as dcrf  # noqa: PLC0415 (optional extra)

    return dcrf


def crf_available() -> bool:
    try:
        _import()
    except Exception:  # ImportError, or a broken build (OSError / undefined symbol)
        return False
    return True


def require_crf() -> None:
    """Raise an EngineError naming the `crf` extra and how to install it unless the dense CRF package loads."""
    try:
        _import()
    except Exception as exc:
        raise EngineError(
            f"the dense CRF package (pydensecrf2) cannot be loaded: {type(exc).__name__}: {exc}", hint=INSTALL_HINT
        ) from exc


def dense_crf(
    image: np.ndarray,
    probs: np.ndarray,
    *,
    iterations: int,
    gaussian_sxy: float,
    gaussian_compat: float,
    bilateral_sxy: float,
    bilateral_srgb: float,
    bilateral_compat: float,
) -> np.ndarray:
    """Mean-field dense CRF (Krähenbühl & Koltun) of `probs` (C×H×W, summing to 1 over C) on the RGB `image`
    (H×W×3 uint8) -> C×H×W float32 marginals. Unary = -log(probs) (clipped at 1e-8)."""
    require_crf()
    dcrf = _import()
    image = np.array(image, dtype=np.uint8, order="C")  # a writable copy: pydensecrf needs one
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be H×W×3 uint8 RGB, got shape {image.shape}")
    n_labels, h, w = probs.shape
    if (h, w) != image.shape[:2]:
        raise ValueError(f"probs are {h}x{w} but the image is {image.shape[0]}x{image.shape[1]}")
    crf = dcrf.DenseCRF2D(w, h, n_labels)
    unary = -np.log(np.clip(probs.reshape(n_labels, -1), 1e-8, 1.0)).astype(np.float32)
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(sxy=bilateral_sxy, srgb=bilateral_srgb, rgbim=image, compat=bilateral_compat)
    return np.asarray(crf.inference(int(iterations)), np.float32).reshape(n_labels, h, w)


def label_probs(labels: np.ndarray, n_labels: int, gt_prob: float) -> np.ndarray:
    """Hard labels -> C×H×W probabilities: gt_prob on the label, the rest spread evenly (pydensecrf's
    `unary_from_labels` with zero_unsure=False, as IRN uses it)."""
    if not 0 < gt_prob < 1:
        raise ValueError(f"gt_prob must be in (0, 1), got {gt_prob}")
    probs = np.full((n_labels, *labels.shape), (1.0 - gt_prob) / (n_labels - 1), np.float32)
    np.put_along_axis(probs, labels[None].astype(np.int64), gt_prob, axis=0)
    return probs


def crf_labels(
    image: np.ndarray,
    labels: np.ndarray,
    n_labels: int,
    *,
    gt_prob: float = 0.7,
    iterations: int = 10,
    **pairwise: float,
) -> np.ndarray:
    """IRN's `crf_inference_label` (METHOD §4.1): labels (H×W ints in [0, n_labels)) refined by the dense CRF;
    pairwise terms default to IR_LABEL_CRF. Returns H×W int64."""
    require_crf()
    labels = np.asarray(labels)
    if n_labels < 2:  # nothing to choose between
        return np.zeros(labels.shape, np.int64)
    if labels.min() < 0 or labels.max() >= n_labels:
        raise ValueError(f"labels must lie in [0, {n_labels}), got {labels.min()}..{labels.max()}")
    q = dense_crf(image, label_probs(labels, n_labels, gt_prob), iterations=iterations, **{**IR_LABEL_CRF, **pairwise})
    return np.argmax(q, axis=0)
