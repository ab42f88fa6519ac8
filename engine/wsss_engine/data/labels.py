"""Image-level labels (the only supervision WSSS trains from, METHOD §1.1) from one of three sources.

1. a labels JSON {id: [class names]} (root/labels.json, root/image_labels.json, or an explicit path);
2. VOC XML annotations (Annotations/<id>.xml: every <object><name>, as IRN's `make_cls_labels` does);
3. the segmentation masks (the classes 1..C present in the PNG).
`load_labels` returns {id: sorted class indices 0..C-1} for the requested ids, and says which source it used.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ..errors import DatasetError
from ..json_input import read_json_file
from .layout import canonical_name, find_label_file, mask_path
from .transforms import IGNORE_INDEX

LabelMap = Dict[str, List[int]]


def class_index(classes: Sequence[str]) -> Dict[str, int]:
    return {canonical_name(c): i for i, c in enumerate(classes)}


def _names_to_indices(names, index: Dict[str, int], image_id: str, source: Path) -> List[int]:
    out = set()
    for name in names:
        key = canonical_name(str(name))
        if key not in index:
            raise DatasetError(
                f"image {image_id} in {source} has class {name!r}, which is not in the class list",
                hint="fix the label, or set dataset.classes to the list the labels use "
                "(a classes.json in the dataset root is picked up automatically)",
                path=str(source),
            )
        out.add(index[key])
    return sorted(out)


def labels_from_json(path: Path, ids: Sequence[str], classes: Sequence[str]) -> LabelMap:
    data = read_json_file(path, "image labels", DatasetError, "labels JSON must map image id -> list of class names")
    if not isinstance(data, dict):
        raise DatasetError(
            f"image labels {path} is not a JSON object", hint='write {"<id>": ["cls", ...], ...}', path=str(path)
        )
    missing = [i for i in ids if i not in data]
    if missing:
        raise DatasetError(
            f"{len(missing)} image(s) of the list have no entry in {path}, e.g. {missing[:3]}",
            hint="add their labels, or use a list that matches the labels file",
            path=str(path),
        )
    index = class_index(classes)
    return {i: _names_to_indices(data[i], index, i, path) for i in ids}


def labels_from_xml(root: Path, ids: Sequence[str], classes: Sequence[str]) -> LabelMap:
    index = class_index(classes)
    out = {}
    for image_id in ids:
        path = root / "Annotations" / f"{image_id}.xml"
        try:
            names = [obj.findtext("name", "") for obj in ET.parse(path).getroot().iter("object")]
        except (OSError, ET.ParseError) as exc:
            raise DatasetError(
                f"cannot read annotation {path}: {exc}",
                hint="restore the VOC Annotations folder or give a labels JSON",
                path=str(path),
            ) from exc
        out[image_id] = _names_to_indices([n.strip() for n in names], index, image_id, path)
    return out


def read_mask(path: Path) -> np.ndarray:
    """Palette PNG -> H×W uint8 of class indices (0 background, 255 ignore)."""
    try:
        with Image.open(path) as img:
            if img.mode not in ("P", "L"):
                raise DatasetError(
                    f"mask {path} has mode {img.mode}; expected a palette or grey PNG of class ids",
                    hint="save masks as palette PNGs (0 background, 1..C classes, 255 ignore)",
                    path=str(path),
                )
            return np.array(img, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(
            f"cannot read mask {path}: {exc}", hint="replace or remove the corrupt mask", path=str(path)
        ) from exc


def labels_from_masks(root: Path, ids: Sequence[str], num_classes: int, mask_dirs: Sequence[str]) -> LabelMap:
    out = {}
    for image_id in ids:
        path = mask_path(root, image_id, mask_dirs)
        if path is None:
            raise DatasetError(
                f"no labels for image {image_id}: no labels JSON, no Annotations/{image_id}.xml, "
                f"and no mask {root / mask_dirs[0] / (image_id + '.png')}",
                hint="add labels.json ({id: [class names]}) to the dataset root",
                path=str(root / mask_dirs[0]),
            )
        values = np.unique(read_mask(path))
        values = values[(values != 0) & (values != IGNORE_INDEX)]
        if values.size and values.max() > num_classes:
            raise DatasetError(
                f"mask {path} has class id {int(values.max())} but there are only {num_classes} classes",
                hint="check dataset.classes against the masks",
                path=str(path),
            )
        out[image_id] = [int(v) - 1 for v in values]
    return out


def load_labels(
    root: Path, ids: Sequence[str], classes: Sequence[str], mask_dirs: Sequence[str], labels: Optional[str] = None
) -> Tuple[LabelMap, str]:
    """({id: class indices}, description of the source). `labels`: a path, "json", "xml", "masks" or None=auto."""
    if labels not in (None, "auto", "json", "xml", "masks"):
        path = Path(labels).expanduser()
        if not path.is_absolute():
            path = root / path
        if not path.is_file():
            raise DatasetError(
                f"labels file {path} does not exist", hint="give a JSON {id: [class names]}", path=str(path)
            )
        return labels_from_json(path, ids, classes), str(path)
    json_file = find_label_file(root)
    if labels in (None, "auto", "json") and json_file is not None:
        return labels_from_json(json_file, ids, classes), str(json_file)
    if labels == "json":
        raise DatasetError(
            f"no labels.json or image_labels.json in {root}", hint="add one or choose another source", path=str(root)
        )
    has_xml = (root / "Annotations").is_dir()
    if labels == "xml" or (labels in (None, "auto") and has_xml):
        return labels_from_xml(root, ids, classes), str(root / "Annotations")
    return labels_from_masks(root, ids, len(classes), mask_dirs), "masks"
