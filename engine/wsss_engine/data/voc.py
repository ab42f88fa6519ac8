"""VOC-layout datasets: the real VOCdevkit/SBD layout and any VOC-layout root (photos, synthetic world).

    ds = VOCDataset(root, "train_aug", classes=None, transform=TrainTransform())
    ds[i] -> {"id": str, "image": 3×H×W float (ImageNet-normalised), "label": C multi-hot float}
             (+ "mask": H×W int64, 0 background, 1..C, 255 ignore, when with_mask=True)

`VOCMultiScaleDataset` gives the METHOD §3.1 inference inputs instead of "image":
    {"id", "label", "size": (H, W), "images": [2×3×h_s×w_s per scale: image and its flip]}

Checks happen up front (root, list, image files, labels, masks when asked) so a bad dataset fails at the
start of a stage with the file named, not hours later. A corrupt image fails when read, naming the file;
with skip_corrupt=True it is logged and the item is None (use `collate_skipping_none`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, default_collate

from ..errors import DatasetError
from .labels import load_labels, read_mask
from .layout import (
    BACKGROUND,
    EXPECTED_LAYOUT,
    MASK_DIRS,
    ClassSpec,
    image_path,
    mask_path,
    read_id_list,
    resolve_classes,
    resolve_root,
)
from .transforms import EvalTransform, MultiScaleFlip

logger = logging.getLogger("wsss_engine.data")

EMPTY_LABEL_POLICIES = ("error", "skip", "keep")
# what PIL (and torchvision's decoders: RuntimeError) raise for a truncated, corrupt or oversized image
UNREADABLE = (OSError, SyntaxError, ValueError, RuntimeError, Image.DecompressionBombError)


class VOCDataset(Dataset):
    """Images, multi-hot image labels and (optionally) masks of one image list of a VOC-layout root.

    root: folder with JPEGImages/ (VOCdevkit resolves to VOCdevkit/VOC2012).
    list_name: "train" / "train_aug" / "val" (ImageSets/Segmentation/<name>.txt or <root>/<name>.txt),
        a path to a list file, or None / "all" for every image in JPEGImages/.
    classes: class names without background; None = root/classes.json if present, else VOC's 20.
    transform: callable(PIL image, mask array | None) -> (image tensor, mask tensor | None);
        default: EvalTransform (full image, normalised).
    labels: labels JSON path, or "json" / "xml" / "masks" / None (auto: JSON, then XML, then masks).
    with_mask: also return the GT mask (SegmentationClass, else SegmentationClassAug; or `mask_dirs`).
    empty_labels: "error" | "skip" | "keep" for images without any class.
    skip_corrupt: log unreadable images and return None for them instead of raising.
    """

    def __init__(
        self,
        root: Union[str, Path],
        list_name: Optional[str] = None,
        classes: ClassSpec = None,
        transform: Optional[Callable] = None,
        *,
        labels: Optional[str] = None,
        with_mask: bool = False,
        mask_dirs: Sequence[str] = MASK_DIRS,
        empty_labels: str = "error",
        skip_corrupt: bool = False,
        log: Optional[Callable[[str], None]] = None,
    ):
        if empty_labels not in EMPTY_LABEL_POLICIES:
            raise ValueError(f"empty_labels must be one of {EMPTY_LABEL_POLICIES}, got {empty_labels!r}")
        self.root = resolve_root(root)
        self.classes: List[str] = resolve_classes(self.root, classes)
        self.transform = transform if transform is not None else EvalTransform()
        self.with_mask = with_mask
        self.mask_dirs = tuple(mask_dirs)
        self.skip_corrupt = skip_corrupt
        self._log = log
        self.list_name = list_name
        ids = read_id_list(self.root, list_name)
        self.image_paths = self._find_images(ids)
        self.labels, self.label_source = load_labels(self.root, ids, self.classes, self.mask_dirs, labels)
        self.ids = self._apply_empty_policy(ids, empty_labels)
        self.mask_paths = self._find_masks(self.ids) if with_mask else {}
        self.skipped: List[str] = []

    def __getstate__(self) -> dict:
        # DataLoader workers started by spawn (macOS, Windows) pickle the dataset: a stage's log callback
        # (a lambda or a bound StageContext method) can't travel, so workers log through the module logger
        state = dict(self.__dict__)
        state["_log"] = None
        return state

    def log(self, message: str) -> None:
        (self._log or logger.warning)(message)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def class_names_with_background(self) -> List[str]:
        return [BACKGROUND, *self.classes]

    def _find_images(self, ids: Sequence[str]) -> dict:
        paths = {i: image_path(self.root, i) for i in ids}
        missing = [i for i, p in paths.items() if p is None]
        if missing:
            first = self.root / "JPEGImages" / f"{missing[0]}.jpg"
            raise DatasetError(
                f"{len(missing)} image(s) of list {self.list_name!r} are missing, e.g. {first}",
                hint=f"restore the images or fix the list; {EXPECTED_LAYOUT}",
                path=str(first),
            )
        return paths

    def _find_masks(self, ids: Sequence[str]) -> dict:
        paths = {i: mask_path(self.root, i, self.mask_dirs) for i in ids}
        missing = [i for i, p in paths.items() if p is None]
        if missing:
            first = self.root / self.mask_dirs[0] / f"{missing[0]}.png"
            raise DatasetError(
                f"{len(missing)} image(s) have no ground-truth mask, e.g. {first} "
                f"(looked in {', '.join(self.mask_dirs)})",
                hint="evaluate on a list whose images all have masks (VOC: train or val)",
                path=str(first),
            )
        return paths

    def _apply_empty_policy(self, ids: List[str], policy: str) -> List[str]:
        empty = [i for i in ids if not self.labels[i]]
        if not empty or policy == "keep":
            return ids
        if policy == "error":
            raise DatasetError(
                f"{len(empty)} image(s) have no class labels (from {self.label_source}), e.g. {empty[:3]}",
                hint="remove them from the list, or set empty_labels to 'skip' (or 'keep')",
                path=self.label_source,
            )
        self.log(f"skipping {len(empty)} image(s) without class labels, e.g. {empty[:3]}")
        empty_set = set(empty)
        return [i for i in ids if i not in empty_set]

    def __len__(self) -> int:
        return len(self.ids)

    def label_vector(self, image_id: str) -> torch.Tensor:
        vec = torch.zeros(self.num_classes, dtype=torch.float32)
        vec[self.labels[image_id]] = 1.0
        return vec

    def read_image(self, image_id: str) -> Optional[Image.Image]:
        """RGB PIL image; None (logged) if unreadable and skip_corrupt, else DatasetError naming the file."""
        path = self.image_paths[image_id]
        try:
            with Image.open(path) as img:
                return img.convert("RGB")  # convert() forces a full decode: truncated files fail here
        except UNREADABLE as exc:
            return self.unreadable(image_id, exc)

    def unreadable(self, image_id: str, exc: BaseException) -> None:
        """An image that cannot be read: None (logged) with skip_corrupt, else DatasetError naming the file."""
        path = self.image_paths[image_id]
        if self.skip_corrupt:
            self.log(f"skipping unreadable image {path}: {exc}")
            self.skipped.append(image_id)
            return None
        raise DatasetError(
            f"cannot read image {path}: {exc}",
            hint='replace or delete the file (and its list entry), or skip unreadable images: add "skip_corrupt": '
            "true to this stage's entry in the run config's \"stages\" list (a stage parameter of the training "
            "and inference stages); the skipped ids are then listed in the stage's summary",
            path=str(path),
        ) from exc

    def read_mask(self, image_id: str, size: Optional[tuple] = None) -> np.ndarray:
        path = self.mask_paths.get(image_id) or mask_path(self.root, image_id, self.mask_dirs)
        if path is None:
            raise DatasetError(
                f"no ground-truth mask for {image_id} ({self.root / self.mask_dirs[0] / image_id}.png)",
                hint="evaluate on a list whose images all have masks",
                path=str(self.root),
            )
        mask = read_mask(path)
        if size is not None and mask.shape != tuple(size):
            raise DatasetError(
                f"mask {path} is {mask.shape[1]}x{mask.shape[0]} but its image is {size[1]}x{size[0]}",
                hint="the mask must have the image's size",
                path=str(path),
            )
        return mask

    def _read_sample(self, index: int):
        """(id, PIL image, mask array | None), or None for a skipped unreadable image."""
        image_id = self.ids[index]
        image = self.read_image(image_id)
        if image is None:
            return None
        mask = self.read_mask(image_id, (image.height, image.width)) if self.with_mask else None
        return image_id, image, mask

    def _item(self, image_id: str, mask_t, **fields) -> dict:
        item = {"id": image_id, **fields, "label": self.label_vector(image_id)}
        if self.with_mask:
            item["mask"] = mask_t
        return item

    def __getitem__(self, index: int) -> Optional[dict]:
        sample = self._read_sample(index)
        if sample is None:
            return None
        image_id, image, mask = sample
        tensor, mask_t = self.transform(image, mask)
        return self._item(image_id, mask_t, image=tensor)


class VOCMultiScaleDataset(VOCDataset):
    """METHOD §3.1 inference inputs: every scale's PIL-bicubic rescale, normalised, stacked with its flip."""

    def __init__(
        self, root, list_name=None, classes: ClassSpec = None, scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0), **kwargs
    ):
        super().__init__(root, list_name, classes, transform=MultiScaleFlip(scales), **kwargs)
        self.scales = self.transform.scales

    def __getitem__(self, index: int) -> Optional[dict]:
        sample = self._read_sample(index)
        if sample is None:
            return None
        image_id, image, mask = sample
        packs, mask_t = self.transform(image, mask)
        return self._item(image_id, mask_t, size=(image.height, image.width), images=packs)


def collate_skipping_none(items: List[Optional[dict]]):
    """default_collate over the readable items (None = an image skipped by skip_corrupt); None if none left."""
    items = [item for item in items if item is not None]
    return default_collate(items) if items else None


def collate_as_list(items: List[Optional[dict]]) -> List[dict]:
    """Keep items of different sizes apart (multi-scale inference batches them itself)."""
    return [item for item in items if item is not None]
