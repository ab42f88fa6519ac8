"""Pixel pairs within a radius and the straight paths between them (METHOD §4.2–4.3; IRN `misc/indexing.py`).

Directions are the half-disc of offsets (dy, dx) with dy >= 0, 0 < dy² + dx² < radius² (dy = 0 only for dx > 0),
so each unordered pair of pixels is counted once. A direction's path is every cell of its bounding box within
distance < 1 of the segment from (0, 0) to (dy, dx). On an h×w grid the sources are the cells (y, x) with
0 <= y < h - f and f <= x < w - f, f = ceil(radius) - 1, so every path stays inside the grid.

- `affinity(edge)`: 1 - (max edge along the path) for every (direction, source) (IRN's affinity from edges);
- `pair_labels(label)`: bg-positive / fg-positive / negative pair masks of a label map (IRN's affinity labels);
- `pair_displacement(disp)`: disp(source) - disp(destination), whose target is the offset (IRN's loss).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

IGNORE = 255


def search_directions(radius: int) -> list[tuple[int, int]]:
    r = int(radius)
    dirs = [(0, dx) for dx in range(1, r)]
    dirs += [(dy, dx) for dy in range(1, r) for dx in range(-r + 1, r) if dx * dx + dy * dy < r * r]
    return dirs


def path_cells(dy: int, dx: int) -> list[tuple[int, int]]:
    """Cells of the bounding box within distance < 1 of the segment (0,0)-(dy,dx); the destination first."""
    length_sq = dy * dy + dx * dx
    cells = [(y, x) for y in range(min(0, dy), max(0, dy) + 1) for x in range(min(0, dx), max(0, dx) + 1)
             if (dy * x - dx * y) ** 2 / length_sq < 1]
    return sorted(cells, key=lambda c: -abs(c[0]) - abs(c[1]))


class PathIndex:
    """Directions, paths and flat gather indices of one radius; indices are cached per grid size."""

    def __init__(self, radius: int):
        if radius < 2:
            raise ValueError(f"radius must be >= 2, got {radius}")
        self.radius = int(radius)
        self.floor = int(math.ceil(radius) - 1)
        self.directions = search_directions(self.radius)
        self.offsets = torch.tensor(self.directions, dtype=torch.float32)  # D×2 (dy, dx): displacement targets
        paths = [path_cells(dy, dx) for dy, dx in self.directions]
        # grouped by path length, so each group's max over its path is one gather (IRN groups the same way)
        self.groups: dict[int, list[int]] = {}
        for d, p in enumerate(paths):
            self.groups.setdefault(len(p), []).append(d)
        self.paths = paths

    def crop(self, h: int, w: int) -> tuple[int, int]:
        """Source-grid size (rows, cols) of an h×w map."""
        hc, wc = h - self.floor, w - 2 * self.floor
        if hc <= 0 or wc <= 0:
            raise ValueError(f"a {h}x{w} map is too small for radius {self.radius}")
        return hc, wc

    @lru_cache(maxsize=32)
    def _indices(self, h: int, w: int) -> tuple[list[tuple[list[int], torch.Tensor]], torch.Tensor, torch.Tensor]:
        hc, wc = self.crop(h, w)
        full = np.arange(h * w, dtype=np.int64).reshape(h, w)
        f = self.floor
        src = torch.from_numpy(full[:hc, f:f + wc].reshape(-1).copy())
        groups = []
        for _, members in sorted(self.groups.items()):
            idx = np.stack([np.stack([full[py:py + hc, f + px:f + px + wc].reshape(-1) for py, px in self.paths[d]])
                            for d in members])  # Dg×L×N
            groups.append((members, torch.from_numpy(idx)))
        dst = np.stack([full[dy:dy + hc, f + dx:f + dx + wc].reshape(-1) for dy, dx in self.directions])
        return groups, src, torch.from_numpy(dst)

    def src_dst(self, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Flat indices of the sources (N) and of each direction's destinations (D×N) on an h×w grid."""
        _, src, dst = self._indices(h, w)
        return src, dst

    def affinity(self, edge: torch.Tensor) -> torch.Tensor:
        """edge B×h×w in [0, 1] -> B×D×N affinities 1 - max(edge along each path)."""
        b, h, w = edge.shape
        groups, _, _ = self._indices(h, w)
        flat = edge.reshape(b, -1)
        out = edge.new_empty(b, len(self.directions), self.crop(h, w)[0] * self.crop(h, w)[1])
        for members, idx in groups:
            idx = idx.to(edge.device)
            gathered = flat[:, idx.reshape(-1)].view(b, *idx.shape)  # B×Dg×L×N
            out[:, members] = 1 - gathered.amax(dim=2)
        return out

    def pair_labels(self, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """label B×h×w (0 bg, 1..C, 255 ignore) -> (bg_pos, fg_pos, neg) float B×D×N pair masks."""
        b, h, w = label.shape
        src, dst = self.src_dst(h, w)
        flat = label.reshape(b, -1)
        ls = flat[:, src.to(label.device)].unsqueeze(1)                       # B×1×N
        ld = flat[:, dst.to(label.device).reshape(-1)].view(b, *dst.shape)   # B×D×N
        valid = (ls != IGNORE) & (ld != IGNORE)
        same = ls == ld
        pos = same & valid
        return (pos & (ls == 0)).float(), (pos & (ls > 0)).float(), (~same & valid).float()

    def pair_displacement(self, disp: torch.Tensor) -> torch.Tensor:
        """disp B×2×h×w -> B×2×D×N: disp(source) - disp(destination)."""
        b, c, h, w = disp.shape
        src, dst = self.src_dst(h, w)
        flat = disp.reshape(b, c, -1)
        ds = flat[:, :, src.to(disp.device)].unsqueeze(2)
        dd = flat[:, :, dst.to(disp.device).reshape(-1)].view(b, c, *dst.shape)
        return ds - dd
