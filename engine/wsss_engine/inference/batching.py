"""Chunks of an image list that share a size, so that multi-scale inference batches them (METHOD §3.1; issue 11).

evaluation/multiscale_cams.infer_multiscale puts the scale/flip packs of one chunk that have the same shape
through the network together. VOC mixes sizes (500×375, 375×500, 500×333, ...), so chunks of consecutive images
rarely share one; ordering the list by size first makes most chunks uniform. Only the order of work changes:
each image's CAM is computed from its own packs, so the files written are the same.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from PIL import Image


def header_size(path: Path) -> Tuple[int, int]:
    """(H, W) from the image header, without decoding; (0, 0) when unreadable (the loader names the file)."""
    try:
        with Image.open(path) as img:
            return img.height, img.width
    except (OSError, SyntaxError, ValueError):
        return 0, 0


def size_buckets(indices: Sequence[int], sizes: Sequence[Tuple[int, int]], batch_size: int) -> List[List[int]]:
    """`indices` (sizes[i] belongs to indices[i]) in chunks of at most batch_size: full chunks of one size
    first, in order of the sizes' first appearance, then the remainders of every size, chunked in order."""
    batch_size = max(1, int(batch_size))
    groups: Dict[Tuple[int, int], List[int]] = defaultdict(list)
    for index, size in zip(indices, sizes):
        groups[tuple(size)].append(index)
    chunks, rest = [], []
    for members in groups.values():
        full = len(members) - len(members) % batch_size
        chunks += [members[i : i + batch_size] for i in range(0, full, batch_size)]
        rest += members[full:]
    return chunks + [rest[i : i + batch_size] for i in range(0, len(rest), batch_size)]


def in_order(indices: Sequence[int], batch_size: int) -> List[List[int]]:
    """The list as it is, in chunks of batch_size (the reference order)."""
    batch_size = max(1, int(batch_size))
    return [list(indices[i : i + batch_size]) for i in range(0, len(indices), batch_size)]
