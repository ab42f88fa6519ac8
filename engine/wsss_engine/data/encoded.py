"""Datasets and batches of the tensor input pipeline (data/tensor_pipeline.py; stage param `input_pipeline`).

DataLoader workers do the cheap part: read the file's bytes, its size from the header, and draw the
augmentation parameters (under the same per-item seeding as the reference path, training/data_order.py, so
both paths draw the same crops and flips). The main process turns a collated batch into device tensors:

    ds = EncodedVOCDataset(root, "train_aug", draws=TrainDraws((320, 640), 512))
    loader = DataLoader(ds, batch_size=16, collate_fn=collate_encoded, num_workers=..., pin_memory=True)
    batch = TrainBatches(ds, 512, device)(next(iter(loader)))  # {"id", "image", "label", "label_cpu"}

A file that does not decode is named in a DatasetError, or skipped and logged with skip_corrupt, as in
VOCDataset.read_image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import torch
from PIL import Image

from .tensor_pipeline import Draw, apply_draw, decode, draw_affinity, draw_train, multiscale_packs
from .voc import UNREADABLE, VOCDataset


@dataclass(frozen=True)
class TrainDraws:
    """transforms.TrainTransform's draws (METHOD §1.1), made in the worker from torch's (seeded) RNG."""

    resize_long: tuple
    crop_size: int
    hflip: bool = True

    def __call__(self, height: int, width: int) -> Draw:
        return draw_train(height, width, self.resize_long, self.crop_size, self.hflip)


@dataclass(frozen=True)
class AffinityDraws:
    """transforms.AffinityTrainTransform's draws (METHOD §4.2: IRN training on IR labels)."""

    rescale: tuple
    crop_size: int
    hflip: bool = True

    def __call__(self, height: int, width: int) -> Draw:
        return draw_affinity(height, width, self.rescale, self.crop_size, self.hflip)


class EncodedVOCDataset(VOCDataset):
    """VOCDataset items with the undecoded file instead of the image:
    {"id", "encoded": 1-D uint8 tensor, "size": (H, W), "label", "draw": Draw (when `draws` is given),
    "mask": H×W uint8 label (with_mask)}."""

    def __init__(
        self,
        root,
        list_name=None,
        classes=None,
        draws: Optional[Callable[[int, int], Draw]] = None,
        scales: Sequence[float] = (),
        **kw,
    ):
        super().__init__(root, list_name, classes, **kw)
        self.draws, self.scales = draws, tuple(float(s) for s in scales)  # scales: for MultiScaleBatches

    def __getitem__(self, index: int) -> Optional[dict]:
        image_id = self.ids[index]
        path = self.image_paths[image_id]
        try:
            with Image.open(path) as img:  # the header only: the size the draws need
                width, height = img.size
            # Python's read, not torchvision.io.read_file: that tensor's storage cannot pass to the main
            # process through shared memory (EBADF in the worker, the loader then waits forever)
            encoded = torch.frombuffer(bytearray(Path(path).read_bytes()), dtype=torch.uint8)
        except UNREADABLE as exc:
            return self.unreadable(image_id, exc)
        item = {"id": image_id, "encoded": encoded, "size": (height, width), "label": self.label_vector(image_id)}
        if self.draws is not None:
            item["draw"] = self.draws(height, width)
        if self.with_mask:  # small: decoded here, augmented with the image on the device
            item["mask"] = torch.from_numpy(self.read_mask(image_id, (height, width)).astype("uint8"))
        return item


def collate_encoded(items: List[Optional[dict]]) -> Optional[dict]:
    """Lists of ids, files, sizes and draws, stacked labels; None when every item was skipped."""
    items = [item for item in items if item is not None]
    if not items:
        return None
    out = {key: [item[key] for item in items] for key in items[0] if key != "label"}
    out["label"] = torch.stack([item["label"] for item in items])
    return out


def decode_batch(dataset: VOCDataset, batch: dict, device: torch.device) -> list:
    """Decoded uint8 images on `device`; None where a file is unreadable and the dataset skips corrupt files."""
    try:
        return decode(batch["encoded"], device)
    except UNREADABLE:
        pass  # find the bad file(s): one at a time
    images = []
    for image_id, encoded in zip(batch["id"], batch["encoded"]):
        try:
            images.append(decode([encoded], device)[0])
        except UNREADABLE as exc:
            images.append(dataset.unreadable(image_id, exc))
    return images


def _kept(batch: dict, images: Sequence) -> list:
    return [i for i, image in enumerate(images) if image is not None]


class TrainBatches:
    """Collated encoded items -> the training batch on the device, as Trainer.to_device gives it."""

    def __init__(self, dataset: VOCDataset, crop_size: int, device: torch.device, channels_last: bool = False):
        self.dataset, self.crop, self.device, self.channels_last = dataset, int(crop_size), device, channels_last

    def __call__(self, batch: dict) -> Optional[dict]:
        images = decode_batch(self.dataset, batch, self.device)
        keep = _kept(batch, images)
        if not keep:
            return None
        masks = batch.get("mask")
        pairs = [
            apply_draw(
                images[i],
                batch["draw"][i],
                self.crop,
                None if masks is None else masks[i].to(self.device, non_blocking=True),
            )
            for i in keep
        ]
        image = torch.stack([image for image, _ in pairs])
        if self.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        label_cpu = batch["label"][keep]
        out = {
            "id": [batch["id"][i] for i in keep],
            "image": image,
            "label": label_cpu.to(self.device, non_blocking=True),
            "label_cpu": label_cpu,
        }
        if masks is not None:
            out["mask"] = torch.stack([mask for _, mask in pairs])
        return out


class MultiScaleBatches:
    """Collated encoded items -> the METHOD §3.1 items of evaluation.multiscale_cams.infer_multiscale, their
    packs already on the device."""

    def __init__(self, dataset: VOCDataset, scales: Sequence[float], device: torch.device):
        self.dataset, self.scales, self.device = dataset, tuple(float(s) for s in scales), device

    def __call__(self, batch: dict) -> List[dict]:
        images = decode_batch(self.dataset, batch, self.device)
        return [
            {
                "id": batch["id"][i],
                "label": batch["label"][i],
                "size": batch["size"][i],
                "images": multiscale_packs(images[i], self.scales),
            }
            for i in _kept(batch, images)
        ]
