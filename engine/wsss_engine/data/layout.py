"""Where things live in a VOC-layout root, and the class list (METHOD §6 class order).

Supported roots:
- the real `VOCdevkit/VOC2012` (or `VOCdevkit`, which resolves to its `VOC2012`): JPEGImages/,
  SegmentationClass/, SBD's SegmentationClassAug/ when present, ImageSets/Segmentation/*.txt, Annotations/*.xml;
- any VOC-layout root: the real photos (JPEGImages/, SegmentationClass/, labels.json) or the synthetic world
  (adds ImageSets/Segmentation/{train,train_aug,val}.txt and classes.json).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Union

from ..errors import DatasetError
from ..json_input import read_json_file

VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
BACKGROUND = "background"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
MASK_DIRS = ("SegmentationClass", "SegmentationClassAug")
LABEL_FILES = ("labels.json", "image_labels.json")

EXPECTED_LAYOUT = (
    "expected a VOC-layout folder: JPEGImages/<id>.jpg, SegmentationClass/<id>.png "
    "(or SBD's SegmentationClassAug/), ImageSets/Segmentation/<list>.txt, and image labels "
    "from labels.json, Annotations/<id>.xml or the masks"
)

ClassSpec = Union[None, str, Sequence[str]]


def resolve_root(root: Union[str, Path]) -> Path:
    """The folder holding JPEGImages/; `VOCdevkit` resolves to `VOCdevkit/VOC2012`."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(
            f"dataset root {path} does not exist or is not a folder",
            hint=f"set dataset.root to a VOC-layout folder; {EXPECTED_LAYOUT}",
            path=str(path),
        )
    if not (path / "JPEGImages").is_dir() and (path / "VOC2012" / "JPEGImages").is_dir():
        path = path / "VOC2012"
    if not (path / "JPEGImages").is_dir():
        raise DatasetError(f"dataset root {path} has no JPEGImages/ folder", hint=EXPECTED_LAYOUT, path=str(path))
    return path


def canonical_name(name: str) -> str:
    """'dining table' / 'Dining_Table' -> 'diningtable' (label files spell VOC names several ways)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def resolve_classes(root: Path, spec: ClassSpec = None) -> List[str]:
    """Class names without background: a list, "voc", or None (= root/classes.json if present, else VOC)."""
    if spec is not None and not isinstance(spec, str):
        classes = [str(c) for c in spec]
    elif spec == "voc":
        classes = list(VOC_CLASSES)
    elif spec is None or spec == "auto":
        path = root / "classes.json"
        if not path.is_file():
            return list(VOC_CLASSES)
        data = read_json_file(
            path, "class list", DatasetError, "classes.json must be a JSON list of class names (no background)"
        )
        classes = data.get("classes") if isinstance(data, dict) else data
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise DatasetError(
                f"class list {path} is not a list of names",
                hint='write ["cls1", "cls2", ...] without background',
                path=str(path),
            )
    else:
        raise DatasetError(f"unknown class list {spec!r}", hint='use "voc", "auto" or a list of class names')
    if not classes:
        raise DatasetError("the class list is empty", hint="give at least one class name")
    if classes and canonical_name(classes[0]) == BACKGROUND:
        classes = classes[1:]  # tolerate a list that starts with background
    return classes


def read_id_list(root: Path, list_name: Optional[str]) -> List[str]:
    """Image ids of a list: a name in ImageSets/Segmentation (or the root), a path, or None/"all".

    Lines may be plain ids or SBD-style "/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png".
    None or "all" (with no such list file) means every image in JPEGImages/, sorted.
    """
    path = find_list(root, list_name)
    if path is None:
        return sorted(p.stem for p in (root / "JPEGImages").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read image list {path}: {exc}", hint=EXPECTED_LAYOUT, path=str(path)) from exc
    ids = [Path(line.split()[0]).stem for line in lines if line.strip()]
    if not ids:
        raise DatasetError(f"image list {path} is empty", hint="one image id per line", path=str(path))
    return ids


def find_list(root: Path, list_name: Optional[str]) -> Optional[Path]:
    if list_name is None:
        return None
    candidates = [Path(list_name).expanduser()]
    if not list_name.endswith(".txt"):
        candidates += [root / "ImageSets" / "Segmentation" / f"{list_name}.txt", root / f"{list_name}.txt"]
    candidates += [root / "ImageSets" / "Segmentation" / list_name, root / list_name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if list_name == "all":
        return None
    raise DatasetError(
        f"image list {list_name!r} not found under {root} (looked for "
        f"{root / 'ImageSets' / 'Segmentation' / (list_name + '.txt')} and {root / (list_name + '.txt')})",
        hint='put <list>.txt in ImageSets/Segmentation/, give a path to a list file, or use "all"',
        path=str(root / "ImageSets" / "Segmentation"),
    )


def image_path(root: Path, image_id: str) -> Optional[Path]:
    for ext in IMAGE_EXTENSIONS:
        path = root / "JPEGImages" / f"{image_id}{ext}"
        if path.is_file():
            return path
    return None


def mask_path(root: Path, image_id: str, mask_dirs: Sequence[str] = MASK_DIRS) -> Optional[Path]:
    """First existing mask: SegmentationClass (VOC's own, used for CAM eval, METHOD §6), then SBD's Aug."""
    for folder in mask_dirs:
        path = Path(folder) if Path(folder).is_absolute() else root / folder
        candidate = path / f"{image_id}.png"
        if candidate.is_file():
            return candidate
    return None


def find_label_file(root: Path) -> Optional[Path]:
    for name in LABEL_FILES:
        if (root / name).is_file():
            return root / name
    return None
