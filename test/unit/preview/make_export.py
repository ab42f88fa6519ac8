"""Test fixture: a run folder with a real `export_onnx` export of a random-weight CAM net, and the torch CAMs.

usage: python make_export.py OUT_DIR [--backbone small_cnn|resnet50] [--size N] [--classes a,b,c] [--int8 [PHOTO_DIR]]
Writes OUT_DIR/runs/preview-run/{run.json,config.json,export/cam_model.onnx,export/cam_model.json},
OUT_DIR/voc/JPEGImages/img_0001.png (+ a JPEG copy) and OUT_DIR/expected.json: the torch ReLU CAMs
(cam_forward, METHOD §3.1) of the PNG's exact pixels, per-class max-normalised, for comparison with
the extension's onnxruntime-node previews. --int8 also writes the int8 preview model as export_onnx does
(models/onnx_int8.py), calibrated on PHOTO_DIR's first 8 images (default: 8 seeded smooth random images written
to OUT_DIR/calibration/), and names it in cam_model.json's "preview".
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from wsss_engine.data.transforms import IMAGENET_MEAN, IMAGENET_STD
from wsss_engine.models.cam_net import CamNet
from wsss_engine.stages.export_onnx import META_NAME, ONNX_NAME, export_cam_onnx, export_metadata

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--backbone", default="small_cnn")
p.add_argument("--size", type=int, default=64)
p.add_argument("--classes", default="cat,dog,boat")
p.add_argument("--no-expected", action="store_true")
p.add_argument("--int8", nargs="?", const="", default=None, metavar="PHOTO_DIR")
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)
out = Path(a.out)
classes = a.classes.split(",")
backbone = {"name": "small_cnn", "width": 8, "out_channels": 16} if a.backbone == "small_cnn" else {"name": a.backbone, "pretrained": None}
model = CamNet(backbone, len(classes)).eval()
with torch.no_grad():  # make the classifier favour different regions per class (random but not degenerate)
    model.classifier.weight.normal_(0, 1)

run = out / "runs" / "preview-run"
(run / "export").mkdir(parents=True, exist_ok=True)
export_cam_onnx(model, run / "export" / ONNX_NAME, a.size, 18)
meta = export_metadata(model, classes, a.size, 18, True)
if a.int8 is not None:
    from wsss_engine.models.onnx_int8 import INT8_NAME, preview_input, quantize_cam_onnx
    if a.int8:
        photos = sorted(Path(a.int8).glob("*.jpg"))[:8]
    else:  # smooth random images: blurred noise upsampled, so features vary as in photos
        (out / "calibration").mkdir(parents=True, exist_ok=True)
        gen = np.random.default_rng(0)
        photos = []
        for i in range(12):  # 8 to calibrate, 4 held out (heldout_*.png) for the agreement tests
            small = Image.fromarray(gen.integers(0, 256, (6, 8, 3), dtype=np.uint8))
            name = f"calib_{i}.png" if i < 8 else f"heldout_{i - 8}.png"
            small.resize((a.size, a.size * 3 // 4), Image.BICUBIC).save(out / "calibration" / name)
            photos += [out / "calibration" / name] if i < 8 else []
    int8 = quantize_cam_onnx(run / "export" / ONNX_NAME, [preview_input(p, a.size) for p in photos])
    (run / "export" / INT8_NAME).write_bytes(int8)
    meta["preview"] = {"file": INT8_NAME, "precision": "int8"}
(run / "export" / META_NAME).write_text(json.dumps(meta))
root = out / "voc"
(root / "JPEGImages").mkdir(parents=True, exist_ok=True)
(run / "config.json").write_text(json.dumps({"name": "preview-run", "synthetic": True, "dataset": {"root": str(root), "classes": classes}, "stages": []}))
(run / "run.json").write_text(json.dumps({"formatVersion": 1, "id": "preview-run", "name": "preview-run", "status": "completed",
                                          "created": "2026-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z",
                                          "engineVersion": "test", "synthetic": True, "configPath": None,
                                          "stages": [{"id": "export", "type": "export_onnx", "status": "completed"}], "error": None}))
if a.no_expected:
    sys.exit(0)
# An image whose long side already equals the suggested size: the extension does not resize it.
h, w = a.size * 3 // 4, a.size
yy, xx = np.mgrid[0:h, 0:w]
rgb = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx + yy) * 97 % 256)], -1).astype(np.uint8)
rgb[h // 4: h // 2, w // 5: w // 2] = (250, 30, 30)
Image.fromarray(rgb).save(root / "JPEGImages" / "img_0001.png")
Image.fromarray(rgb).save(root / "JPEGImages" / "img_0002.jpg", quality=92)
x = (rgb.astype(np.float32) / 255 - np.asarray(IMAGENET_MEAN, np.float32)) / np.asarray(IMAGENET_STD, np.float32)
x = torch.from_numpy(x.transpose(2, 0, 1)).unsqueeze(0)
with torch.no_grad():
    cams = model.cam_forward(x)[0]
raw_max = cams.amax(dim=(1, 2))
norm = cams / (raw_max[:, None, None] + 1e-5)  # METHOD §3.1 per-class max normalisation
(out / "expected.json").write_text(json.dumps({"image": str(root / "JPEGImages" / "img_0001.png"), "shape": list(norm.shape),
                                               "raw_max": raw_max.tolist(), "cams": norm.flatten().tolist()}))
