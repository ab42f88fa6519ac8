"""Multi-scale + flip CAM inference end to end: JPEG files on disk -> CAM files on disk (METHOD §3.1; issue 11).

Both configurations run the stage's own function (stages/infer_cams.infer_cams) over the real photos replicated
to --images files (benchmarks/e2e_common.py), decode and CAM-file writing included:
- reference: as IRN/CLIMS `make_cam`: one image at a time (each scale's flip pair its own forward), PIL
  decode and rescale in --ref-workers loader workers, fp32, synchronous np.save of each file, list order;
- ours: the tensor pipeline (decode + rescale on the device), chunks of --batch images of one size (size buckets),
  channels_last, fp16 autocast on CUDA (the fast numerics preset; --no-amp for fp32), CAM files written on a
  background thread.
Printed: images/s of each (median of --repeats runs, each into a fresh folder), and the ratio.

    .venv/bin/python engine/benchmarks/bench_infer_e2e.py                          # CPU: small_cnn, small photos
    python engine/benchmarks/bench_infer_e2e.py --device cuda --images 512 --json infer_e2e.json   # on a GPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e_common import add_common_args, photo_copies, setup  # noqa: E402
from wsss_engine.data.encoded import EncodedVOCDataset  # noqa: E402
from wsss_engine.data.voc import VOCMultiScaleDataset  # noqa: E402
from wsss_engine.models.cam_net import CamNet  # noqa: E402
from wsss_engine.stage_params import schema_defaults  # noqa: E402
from wsss_engine.stages.infer_cams import infer_cams  # noqa: E402

CONFIGS = {
    "reference": {"batch_size": 1, "amp": False, "channels_last": False, "bucket_sizes": False, "async_write": False},
    "ours": {"amp": True, "channels_last": True, "bucket_sizes": True, "async_write": True},
}


def model(backbone: str) -> CamNet:
    torch.manual_seed(0)
    options = {"name": backbone, "pretrained": None}
    if backbone == "small_cnn":
        options.update(width=16, out_channels=64)
    return CamNet(options, num_classes=20).eval()


def run_once(name: str, args, root: Path, out: Path, device: torch.device) -> float:
    options = dict(CONFIGS[name])
    if name == "ours":
        dataset = EncodedVOCDataset(root, None, scales=args.scales)
        options.update(batch_size=args.batch, amp=args.amp, channels_last=device.type == "cuda")
    else:
        dataset = VOCMultiScaleDataset(root, None, scales=args.scales)
    workers = args.workers if name == "ours" else args.ref_workers
    net = model(args.backbone)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    summary = infer_cams(net, dataset, out, device, num_workers=workers, **options)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    assert summary["written"] == len(dataset), summary
    return len(dataset) / (time.perf_counter() - start)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=None, help="default 512 (CUDA), 16 (CPU)")
    p.add_argument("--backbone", default=None, choices=["resnet50", "small_cnn"], help="default resnet50 / small_cnn")
    p.add_argument("--scales", type=float, nargs="+", default=list(schema_defaults("infer_cams")["scales"]))
    p.add_argument("--batch", type=int, default=16, help="ours: images per chunk")
    p.add_argument("--no-amp", dest="amp", action="store_false")
    p.add_argument("--workers", type=int, default=None, help="ours (default min(8, CPUs // 2))")
    p.add_argument("--ref-workers", type=int, default=None, help="reference (default min(12, CPUs))")
    add_common_args(p)
    args = p.parse_args(argv)
    device, label, cpus = setup(args)
    gpu = device.type == "cuda"
    args.images = args.images or (512 if gpu else 16)
    args.backbone = args.backbone or ("resnet50" if gpu else "small_cnn")
    args.workers = min(8, cpus // 2) if args.workers is None else args.workers
    args.ref_workers = min(12, cpus) if args.ref_workers is None else args.ref_workers
    print(
        f"== {label}: {args.backbone}, scales {args.scales} + flips, {args.images} JPEGs (real photos, full size), "
        f"workers ours {args.workers} / reference {args.ref_workers}, {args.repeats} repeats"
    )
    rows = {}
    with tempfile.TemporaryDirectory(prefix="wsss-bench-infer-") as tmp:
        root = photo_copies(Path(tmp) / "data", args.images)
        run_once("ours", args, root, Path(tmp) / "warm", device)  # warm-up: kernels, cuDNN, page cache
        for name in ("reference", "ours"):
            rates = [run_once(name, args, root, Path(tmp) / f"{name}{k}", device) for k in range(args.repeats)]
            rows[name] = {"images_per_s": statistics.median(rates), "repeats": [round(r, 2) for r in rates]}
            print(f"  {name:10} {rows[name]['images_per_s']:8.2f} img/s (median of {rows[name]['repeats']})")
    ratio = rows["ours"]["images_per_s"] / rows["reference"]["images_per_s"]
    print(f"  ours / reference: {ratio:.2f}x")
    if args.json:
        meta = {k: getattr(args, k) for k in ("device", "images", "backbone", "scales", "batch", "amp")}
        Path(args.json).write_text(json.dumps({"device_name": label, **meta, "ratio": ratio, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
