"""What the end-to-end benchmarks share: the real photos replicated to N files in a VOC-layout temp folder (they
read JPEGs from disk), and the device / thread / output options.

    root = photo_copies(Path(tmp), 512)   # JPEGImages/p0000_<id>.jpg ..., labels.json (the photos' labels)

The copies are byte copies (same decode cost as the originals); the photos come from $WSSS_SHARED_DIR/data/photos
(default ../shared/data/photos beside the project root) and are read in place, never modified.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import torch

PHOTOS = Path(os.environ.get("WSSS_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared") / "data" / "photos"


def photo_copies(dest: Path, n: int) -> Path:
    if not (PHOTOS / "labels.json").is_file():
        raise SystemExit(f"the shared photos are missing: {PHOTOS} (set WSSS_SHARED_DIR)")
    labels = json.loads((PHOTOS / "labels.json").read_text())
    ids = sorted(i for i in labels if (PHOTOS / "JPEGImages" / f"{i}.jpg").is_file() and labels[i])
    (dest / "JPEGImages").mkdir(parents=True, exist_ok=True)
    copies = {}
    for k in range(n):
        src = ids[k % len(ids)]
        new = f"p{k:05d}_{src}"
        shutil.copyfile(PHOTOS / "JPEGImages" / f"{src}.jpg", dest / "JPEGImages" / f"{new}.jpg")
        copies[new] = labels[src]
    (dest / "labels.json").write_text(json.dumps(copies))
    return dest


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats; the median is printed")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--json", help="also write the results here")


def setup(args) -> tuple[torch.device, str, int]:
    """(device, a label naming it, CPU count) after applying --threads."""
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cpus = os.cpu_count() or 2
    if device.type == "cuda":
        return device, torch.cuda.get_device_name(device), cpus
    return device, f"cpu ({cpus} cores, {torch.get_num_threads()} threads)", cpus
