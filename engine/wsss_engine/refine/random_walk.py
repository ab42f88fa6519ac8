"""Random walk of CAMs over the IRN affinity (METHOD §4.3; IRN `propagate_to_edge`, `make_sem_seg_labels`).

Affinity A between pixels of the stride-4 grid within `radius` (5): 1 - max(edge along the path), A_ii = 1,
symmetric. Transition T = A^beta with columns normalised; the CAMs x (K×N), multiplied by (1 - edge), walk
2^exp_times steps: x T^(2^exp_times).
- "sparse" (ours): T^T = D^-1 A^beta is a sparse local matrix (about π·radius² entries a row); the walk is
  2^exp_times sparse products M @ Z, Z = xᵀ, and a batch of images is one block-diagonal M. Memory O(N·r²).
- "dense": the reference's N×N matrix squared exp_times times (about 1 GB for a 500×500 image): for tests and
  benchmarks only.
They agree up to float rounding (tests/test_random_walk.py states the tolerance).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .path_index import PathIndex


@lru_cache(maxsize=8)
def _index(radius: int) -> PathIndex:
    return PathIndex(radius)


def half_affinity(edge: torch.Tensor, radius: int) -> torch.Tensor:
    """edge h×w -> D×h×w: affinity of each pixel p with p + d for the half-disc directions d (0 when p + d
    leaves the grid: the edge is padded with 1 on the left, right and bottom, as the reference pads it)."""
    h, w = edge.shape
    index = _index(radius)
    padded = F.pad(edge[None, None], (radius, radius, 0, radius), value=1.0)[0]
    aff = index.affinity(padded)[0]  # D × (h+1)(w+2): sources of the padded grid
    return aff.view(-1, h + 1, w + 2)[:, :h, 1 : w + 1]  # the sources inside the image


def local_affinity(edge: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(rows, cols, affinity) of every in-grid pair (p, p + d), d in the half disc: flat pixel indices."""
    h, w = edge.shape
    dirs = torch.tensor(_index(radius).directions, device=edge.device)
    y, x = torch.meshgrid(torch.arange(h, device=edge.device), torch.arange(w, device=edge.device), indexing="ij")
    ty, tx = y[None] + dirs[:, 0, None, None], x[None] + dirs[:, 1, None, None]
    inside = (ty < h) & (tx >= 0) & (tx < w)
    rows = (y * w + x).expand_as(ty)[inside]
    return rows, (ty * w + tx)[inside], half_affinity(edge, radius)[inside]


def _csr_block(edge: torch.Tensor, radius: int, beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One image's rows of M = D^-1 A^beta in CSR form (row counts, columns, values), built as a padded row
    layout: every pixel lists its neighbours at all full-disc offsets in raster order, so each row's columns are
    already sorted and no sort or coalesce is needed (memory O(N·r²))."""
    h, w = edge.shape
    r = radius
    half = half_affinity(edge, radius).pow(beta)  # D×h×w, pairs (p, p + d)
    shifted = F.pad(half, (r, r, r, r))  # pairs (p - d, p) read at p
    dirs = _index(radius).directions
    entries = {(0, 0): torch.ones_like(edge)}
    for k, (dy, dx) in enumerate(dirs):
        entries[(dy, dx)] = half[k]
        entries[(-dy, -dx)] = shifted[k, r - dy : r - dy + h, r - dx : r - dx + w]
    offsets = sorted(entries)  # raster order of p + offset
    vals = torch.stack([entries[o] for o in offsets], dim=-1).view(h * w, len(offsets))
    i32 = {"device": edge.device, "dtype": torch.int32}  # index arithmetic in int32: half the memory
    oy = torch.tensor([o[0] for o in offsets], **i32)
    ox = torch.tensor([o[1] for o in offsets], **i32)
    y = torch.arange(h, **i32)[:, None, None] + oy
    x = torch.arange(w, **i32)[None, :, None] + ox
    valid = ((y >= 0) & (y < h) & (x >= 0) & (x < w)).view(h * w, len(offsets))
    vals = vals * valid
    vals = vals / vals.sum(dim=1, keepdim=True)
    cols = (y * w + x).view(h * w, len(offsets))
    return valid.sum(dim=1, dtype=torch.int32), cols[valid], vals[valid]


def transition_sparse(edges: Sequence[torch.Tensor], radius: int, beta: float) -> torch.Tensor:
    """Block-diagonal CSR M = D^-1 A^beta (row-normalised) over the images' stride-4 grids."""
    counts, cols, vals, offset = [], [], [], 0
    for edge in edges:
        c, k, v = _csr_block(edge, radius, beta)
        counts.append(c)
        cols.append(k + offset)
        vals.append(v)
        offset += edge.numel()
    counts = torch.cat(counts)
    crow = torch.zeros(offset + 1, dtype=torch.int32, device=counts.device)
    crow[1:] = torch.cumsum(counts, 0)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": CSR @ dense is all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, torch.cat(cols), torch.cat(vals), (offset, offset), check_invariants=False)


def transition_dense(edge: torch.Tensor, radius: int, beta: float, exp_times: int) -> torch.Tensor:
    """The reference's dense N×N transition matrix T^(2^exp_times) (columns normalised)."""
    n = edge.numel()
    rows, cols, a = local_affinity(edge, radius)
    dense = torch.eye(n, device=edge.device, dtype=edge.dtype)
    dense[rows, cols] = a
    dense[cols, rows] = a
    trans = dense.pow(beta)
    trans = trans / trans.sum(dim=0, keepdim=True)
    for _ in range(exp_times):
        trans = trans @ trans
    return trans


def propagate(
    cams: Sequence[torch.Tensor],
    edges: Sequence[torch.Tensor],
    *,
    radius: int = 5,
    beta: float = 10.0,
    exp_times: int = 8,
    method: str = "sparse",
) -> list[torch.Tensor]:
    """Random walk of each image's K×h×w stride-4 CAMs over its h×w edge map -> K×h×w walked CAMs."""
    xs = [(c * (1 - e)).reshape(c.shape[0], -1) for c, e in zip(cams, edges)]
    if method == "dense":
        return [(x @ transition_dense(e, radius, beta, exp_times)).view_as(c) for x, e, c in zip(xs, edges, cams)]
    if method != "sparse":
        raise ValueError(f"method must be 'sparse' or 'dense', got {method!r}")
    m = transition_sparse(edges, radius, beta)
    k = max(x.shape[0] for x in xs)
    z = torch.cat([F.pad(x, (0, 0, 0, k - x.shape[0])).t() for x in xs])  # (ΣN)×K, zero rows pad missing classes
    for _ in range(2**exp_times):
        z = m @ z
    out, offset = [], 0
    for x, c in zip(xs, cams):
        n = x.shape[1]
        out.append(z[offset : offset + n, : x.shape[0]].t().reshape(c.shape))
        offset += n
    return out


def semantic_labels(
    walked: torch.Tensor, keys: np.ndarray, size: tuple[int, int], bg_threshold: float, cell: int = 4
) -> np.ndarray:
    """METHOD §4.3 output: ×4 bilinear (×`cell` for a walk on another grid), crop to size, divide by the global
    max, bg plane, argmax, map keys -> H×W uint8 (0 bg, keys + 1)."""
    walked = walked[None].float()
    up = F.interpolate(walked, scale_factor=cell, mode="bilinear", align_corners=False)[0] if cell > 1 else walked[0]
    up = up[:, : size[0], : size[1]]
    up = up / up.max().clamp_min(1e-12)
    planes = torch.cat([torch.full((1, *up.shape[1:]), bg_threshold, dtype=up.dtype, device=up.device), up])
    ids = np.concatenate([[0], np.asarray(keys, np.int64) + 1])
    return ids[planes.argmax(0).cpu().numpy()].astype(np.uint8)
