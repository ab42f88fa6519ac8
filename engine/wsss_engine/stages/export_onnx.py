"""Stage `export_onnx`: the CAM network as ONNX for the extension's inline previews (onnxruntime-node).

<run>/export/cam_model.onnx: input "image" N×3×H×W ImageNet-normalised float32 (H, W dynamic), output "cams"
N×C×ceil(H/stride)×ceil(W/stride) = ReLU(W·Z) for all C classes (METHOD §3.1, single scale, no flip, not
normalised: the viewer divides each map by its max). <run>/export/cam_model.json describes it.

Params (ExportOnnxParams; defaults: schemas/run-config.schema.json `$defs/export_onnxParams`):
  model       id of a baseline_cam / train_clims stage, or a checkpoint path
  input_size  suggested input size (long side) for previews; unset: dataset.image_size
  opset       ONNX opset (the torch.export-based exporter needs >= 18)
  verify      compare onnxruntime with torch on a random input when onnxruntime is installed
  preview_int8  also write export/cam_model.int8.onnx for the CPU hover preview (models/onnx_int8.py),
              calibrated on `calibration_images` images of the train list (else the eval list, else all)
              and compared with the fp32 export on 4 others; cam_model.json's "preview" names it with the
              measured agreement.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import nn

from ..data.layout import image_path, read_id_list, resolve_classes, resolve_root
from ..data.transforms import IMAGENET_MEAN, IMAGENET_STD
from ..errors import DatasetError
from ..evaluation.multiscale_cams import model_stride
from ..stage_context import StageContext
from ..stage_params import StageParams
from ..stage_registry import register_stage
from . import inputs, references

ONNX_NAME = "cam_model.onnx"
META_NAME = "cam_model.json"


class CamExport(nn.Module):
    """Wraps a CAM model so that forward() is its ReLU CAM forward."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model.cam_forward(image)


def export_cam_onnx(model: nn.Module, path: Path, input_size: int = 512, opset: int = 18) -> Path:
    """Write `model`'s CAM forward as ONNX with dynamic batch/height/width; checked with onnx.checker."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = CamExport(model.cpu().eval()).eval()
    example = torch.randn(1, 3, input_size, input_size)
    fd, tmp = tempfile.mkstemp(prefix=".cam_model.", suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        _export(wrapper, example, tmp, opset)  # verbose=False: stdout belongs to the JSON-RPC protocol
        onnx.checker.check_model(onnx.load(tmp), full_check=True)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _export(wrapper: nn.Module, example: torch.Tensor, out: str, opset: int) -> None:
    """torch.export-based exporter (the default since torch 2.9); the TorchScript one if that fails."""
    from torch.export import Dim

    try:
        torch.onnx.export(
            wrapper,
            (example,),
            out,
            input_names=["image"],
            output_names=["cams"],
            dynamic_shapes={"image": {0: Dim.DYNAMIC, 2: Dim.DYNAMIC, 3: Dim.DYNAMIC}},
            opset_version=opset,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    except Exception as exc:  # noqa: BLE001 - any exporter failure: retry with the legacy exporter
        print(f"torch.export-based ONNX export failed ({exc}); using the TorchScript exporter", file=sys.stderr)
        torch.onnx.export(
            wrapper,
            (example,),
            out,
            input_names=["image"],
            output_names=["cams"],
            dynamic_axes={
                "image": {0: "batch", 2: "height", 3: "width"},
                "cams": {0: "batch", 2: "cam_height", 3: "cam_width"},
            },
            opset_version=opset,
            dynamo=False,
        )


def export_metadata(model: nn.Module, classes: Sequence[str], input_size: int, opset: int, synthetic: bool) -> dict:
    return {
        "formatVersion": 1,
        "file": ONNX_NAME,
        "input": "image",
        "output": "cams",
        "classes": list(classes),
        "background": "background",
        "num_classes": len(classes),
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "pixel_scale": 1 / 255,
        "layout": "NCHW",
        "stride": model_stride(model),
        "input_size": int(input_size),
        "activation": "relu",
        "normalised": False,
        "opset": opset,
        "synthetic": bool(synthetic),
    }


def max_abs_difference(model: nn.Module, onnx_path: Path, size: tuple = (1, 3, 96, 128)) -> Optional[float]:
    """max |onnxruntime - torch| on a random input of a size other than the export's; None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    x = torch.randn(*size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model.cpu().eval().cam_forward(x).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(["cams"], {"image": x.numpy()})[0]
    if got.shape != expected.shape:
        return float("inf")
    return float(abs(got - expected).max())


@dataclass(frozen=True)
class ExportOnnxParams(StageParams, stage="export_onnx"):
    opset: int
    verify: bool
    preview_int8: bool
    calibration_images: int
    model: str | None = None  # references.checkpoint_ref says what is missing
    input_size: int | None = None  # None: dataset.image_size


@register_stage("export_onnx")
def run(ctx: StageContext, params: dict) -> dict:
    from ..models.loading import load_cam_model
    from ..runs.run_folder import atomic_write_json

    p = ExportOnnxParams.from_params(params)
    checkpoint = references.checkpoint_ref(ctx, params)
    classes = resolve_classes(resolve_root(references.dataset_root(ctx)), references.dataset_classes(ctx))
    input_size = int(p.input_size or ctx.config["dataset"]["image_size"])
    opset = p.opset
    model = load_cam_model(checkpoint, "cpu")
    out_dir = Path(ctx.run.path) / "export"
    ctx.progress(0, 2, "exporting")
    onnx_path = export_cam_onnx(model, out_dir / ONNX_NAME, input_size, opset)
    meta = export_metadata(model, classes, input_size, opset, ctx.config.get("synthetic", False))
    meta["checkpoint"] = str(checkpoint)
    if p.verify:
        diff = max_abs_difference(model, onnx_path)
        meta["verified_max_abs_diff"] = diff
        if diff is not None and diff > 1e-3:
            ctx.log(f"ONNX output differs from torch by up to {diff:.3g}", level="warning")
    if p.preview_int8:
        ctx.progress(1, 2, "quantising the preview model")
        meta["preview"] = write_int8_preview(ctx, onnx_path, input_size, p.calibration_images)
    atomic_write_json(out_dir / META_NAME, meta)
    ctx.progress(2, 2, "exported")
    return {
        "onnx": str(onnx_path),
        "metadata": str(out_dir / META_NAME),
        "stride": meta["stride"],
        "verified_max_abs_diff": meta.get("verified_max_abs_diff"),
    }


def preview_images(root: Path, ids: Sequence[str], count: int) -> list[Path]:
    """`count` images spread evenly over the list (calibration), then up to 4 others (agreement)."""
    step = max(1, len(ids) // (count + 4))
    paths = [p for p in (image_path(root, i) for i in ids[::step]) if p is not None]
    return paths[: count + 4]


def calibration_ids(root: Path, lists: Sequence[str]) -> list[str]:
    """The first of these image lists that exists (train, then eval), else every image of the dataset."""
    for name in lists:
        try:
            return read_id_list(root, name)
        except DatasetError:
            continue
    return read_id_list(root, "all")


def write_int8_preview(ctx: StageContext, onnx_path: Path, input_size: int, count: int) -> dict:
    """export/cam_model.int8.onnx and its agreement with the fp32 export (cam_model.json's "preview")."""
    from ..models.onnx_int8 import INT8_NAME, cam_agreement, normalised_cams, preview_input, quantize_cam_onnx
    from ..runs.run_folder import atomic_write_bytes

    root = resolve_root(references.dataset_root(ctx))
    ids = calibration_ids(root, [references.image_list(ctx, {}, split) for split in ("train", "eval")])
    inputs = [preview_input(p, input_size) for p in preview_images(root, ids, count)]
    calibration, held_out = inputs[:count], inputs[count:] or inputs[:1]
    int8_path = onnx_path.parent / INT8_NAME
    atomic_write_bytes(int8_path, quantize_cam_onnx(onnx_path, calibration))
    agreement = cam_agreement(normalised_cams(onnx_path, held_out), normalised_cams(int8_path, held_out))
    ctx.log(
        f"int8 preview model: mean IoU {agreement['mean_iou']:.3f} with the fp32 CAMs on "
        f"{len(held_out)} image(s), max |diff| {agreement['max_abs_diff']:.3f}"
    )
    return {"file": INT8_NAME, "precision": "int8", "agreement": agreement}


def preflight(config: dict, params: dict, resolve_path) -> None:
    """The model checkpoint (unless an earlier stage trains it), the class list, and the onnx package
    (wsss_engine/preflight.py)."""
    problems = inputs.Problems()
    problems.collect(inputs.checkpoint, config, params, "model", resolve_path)
    problems.collect(inputs.classes, config, resolve_path)
    problems.collect(inputs.package, "onnx", "export_onnx writes and checks the ONNX file with it")
    if ExportOnnxParams.from_params(params).preview_int8:
        problems.collect(
            inputs.package,
            "onnxruntime",
            "export_onnx quantises the preview model with it (or set preview_int8 to false)",
        )
    problems.raise_if_any()


run.preflight = preflight
