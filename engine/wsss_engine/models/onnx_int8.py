"""An int8 copy of the exported CAM network for the extension's CPU hover preview (issue 11).

ResNet-50 at 512 px took 330-536 ms per preview in fp32 on a 2-core CPU; statically quantised (QDQ, per-channel
int8 weights, uint8 activations calibrated on a few of the dataset's images) it runs ~5-10x faster with the same
input size (docs/BENCHMARKS.md). A smaller preview input was measured too and agrees less with the full-size
CAM than int8 at full size does, so the input size stays. The classifier (the 1×1 conv W, METHOD §3.1) and its
ReLU stay in float: the CAM is W·Z of the quantised features, and they cost nothing next to the backbone.

`cam_agreement` compares two exports the way a preview shows them: ReLU CAMs divided per class by their max
(METHOD §3.1), then the IoU of the maps above a threshold and the absolute difference.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PIL import Image

from ..data.transforms import normalize

INT8_NAME = "cam_model.int8.onnx"
AGREEMENT_THRESHOLD = 0.15  # the CAM threshold of the VOC evaluation (METHOD §6)
NORM_EPS = 1e-5


def preview_input(path: Path, input_size: int) -> np.ndarray:
    """An image as the preview feeds it: long side resized to `input_size` (bilinear, as the extension's sharp
    'linear' kernel), ImageNet-normalised, 1×3×H×W float32."""
    with Image.open(path) as im:
        image = im.convert("RGB")
    scale = input_size / max(image.size)
    if scale != 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BILINEAR)
    return np.ascontiguousarray(normalize(image).transpose(2, 0, 1)[None])


def quantize_cam_onnx(src: Path, calibration: Sequence[np.ndarray]) -> bytes:
    """An int8 (QDQ) copy of the fp32 export `src`, activations calibrated (min/max) on the given preview
    inputs, as the bytes of an ONNX file. Works in a system temp folder, so a crash leaves nothing in the run
    (the caller writes the bytes atomically)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"image": x} for x in calibration])

        def get_next(self) -> dict | None:
            return next(self.items, None)

    with tempfile.TemporaryDirectory(prefix="wsss-quantize-") as tmp:
        prepared = os.path.join(tmp, "prepared.onnx")
        quant_pre_process(str(src), prepared, skip_symbolic_shape=True)
        nodes = list(onnx.load(prepared, load_external_data=False).graph.node)
        head = max(i for i, n in enumerate(nodes) if n.op_type == "Conv")  # the classifier, then its ReLU
        out = os.path.join(tmp, "int8.onnx")
        quantize_static(
            prepared,
            out,
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            # 7-bit weights: without VNNI, onnxruntime's AVX2 u8s8 kernels (VPMADDUBSW) saturate 8-bit products
            # (its quantization docs); measured on an AVX2-only CPU: CAM agreement 0.79 with 8 bits, 0.94 with 7
            reduce_range=True,
            nodes_to_exclude=[n.name for n in nodes[head:]],
        )
        return Path(out).read_bytes()


def normalised_cams(onnx_path: Path, inputs: Iterable[np.ndarray]) -> list[np.ndarray]:
    """Per-class max-normalised ReLU CAMs (C×h×w) of each input, with onnxruntime on the CPU."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    out = []
    for x in inputs:
        cams = np.maximum(session.run(None, {"image": x})[0][0], 0)
        out.append(cams / (cams.max(axis=(1, 2), keepdims=True) + NORM_EPS))
    return out


def cam_agreement(
    reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray], threshold: float = AGREEMENT_THRESHOLD
) -> dict[str, float]:
    """Mean / min IoU over images and classes of (CAM > threshold), and the max / mean |difference|, of
    normalised CAMs of the same inputs. Two empty masks count as IoU 1."""
    ious, max_abs, mean_abs = [], 0.0, []
    for r, c in zip(reference, candidate, strict=True):
        a, b = r > threshold, c > threshold
        inter, union = (a & b).sum(axis=(1, 2)), (a | b).sum(axis=(1, 2))
        ious.extend(np.where(union > 0, inter / np.maximum(union, 1), 1.0).tolist())
        diff = np.abs(r - c)
        max_abs = max(max_abs, float(diff.max()))
        mean_abs.append(float(diff.mean()))
    return {
        "mean_iou": float(np.mean(ious)),
        "min_iou": float(np.min(ious)),
        "max_abs_diff": max_abs,
        "mean_abs_diff": float(np.mean(mean_abs)),
        "threshold": threshold,
        "images": len(reference),
    }
