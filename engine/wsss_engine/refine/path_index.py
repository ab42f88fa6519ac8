"""Pixel pairs within a radius and the straight paths between them (METHOD §4.2–4.3; IRN `misc/indexing.py`).

Directions are the half-disc of offsets (dy, dx) with dy >= 0, 0 < dy² + dx² < radius² (dy = 0 only for dx > 0),
so each unordered pair of pixels is counted once. A direction's path is every cell of its bounding box within
distance < 1 of the segment from (0, 0) to (dy, dx). On an h×w grid the sources are the cells (y, x) with
0 <= y < h - f and f <= x < w - f, f = ceil(radius) - 1, so every path stays inside the grid; N = their number.

- `affinity(edge)`: 1 - (max edge along the path) for every (direction, source) (IRN's affinity from edges);
- `pair_labels(label)`: bg-positive / fg-positive / negative pair masks of a label map (IRN's affinity labels);
- `pair_displacement(disp)`: disp(source) - disp(destination), whose target is the offset (IRN's loss).
"""

from __future__ import annotations

import math
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
    cells = [
        (y, x)
        for y in range(min(0, dy), max(0, dy) + 1)
        for x in range(min(0, dx), max(0, dx) + 1)
        if (dy * x - dx * y) ** 2 / length_sq < 1
    ]
    return sorted(cells, key=lambda c: -abs(c[0]) - abs(c[1]))


class PathIndex:
    """Directions and paths of one radius, applied to maps of any size by shifted windows (views, no index
    tables): window(t, dy, dx)[y, x] = t[y + dy, x + f + dx] for the sources (y, x) of the grid."""

    def __init__(self, radius: int):
        if radius < 2:
            raise ValueError(f"radius must be >= 2, got {radius}")
        self.radius = int(radius)
        self.floor = int(math.ceil(radius) - 1)
        self.directions = search_directions(self.radius)
        self.offsets = torch.tensor(self.directions, dtype=torch.float32)  # D×2 (dy, dx): displacement targets
        self.paths = [path_cells(dy, dx) for dy, dx in self.directions]

    def crop(self, h: int, w: int) -> tuple[int, int]:
        """Source-grid size (rows, cols) of an h×w map."""
        hc, wc = h - self.floor, w - 2 * self.floor
        if hc <= 0 or wc <= 0:
            raise ValueError(f"a {h}x{w} map is too small for radius {self.radius}")
        return hc, wc

    def window(self, t: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
        hc, wc = self.crop(*t.shape[-2:])
        f = self.floor
        return t[..., dy : dy + hc, f + dx : f + dx + wc]

    def destinations(self, t: torch.Tensor, dim: int) -> torch.Tensor:
        """Each direction's destination values, stacked at `dim`, flattened over the sources."""
        out = torch.stack([self.window(t, dy, dx) for dy, dx in self.directions], dim=dim)
        return out.flatten(-2)

    def affinity(self, edge: torch.Tensor) -> torch.Tensor:
        """edge B×h×w in [0, 1] -> B×D×N affinities 1 - max(edge along each path)."""
        along = [torch.stack([self.window(edge, py, px) for py, px in path]).amax(dim=0) for path in self.paths]
        return 1 - torch.stack(along, dim=1).flatten(-2)

    def pair_labels(self, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """label B×h×w (0 bg, 1..C, 255 ignore) -> (bg_pos, fg_pos, neg) float B×D×N pair masks."""
        ls = self.window(label, 0, 0).flatten(-2).unsqueeze(1)  # B×1×N
        ld = self.destinations(label, dim=1)  # B×D×N
        valid = (ls != IGNORE) & (ld != IGNORE)
        same = ls == ld
        pos = same & valid
        return (pos & (ls == 0)).float(), (pos & (ls > 0)).float(), (~same & valid).float()

    def pair_displacement(self, disp: torch.Tensor) -> torch.Tensor:
        """disp B×2×h×w -> B×2×D×N: disp(source) - disp(destination)."""
        return self.window(disp, 0, 0).flatten(-2).unsqueeze(2) - self.destinations(disp, dim=2)
