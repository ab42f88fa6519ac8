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


def local_affinity(edge: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """edge h×w -> (rows, cols, affinity) of every in-grid pair (i < j in direction order), flat indices."""
    h, w = edge.shape
    index = _index(radius)
    r = radius
    # pad left/right/bottom with edge = 1 so that pairs leaving the grid get affinity 0, then keep in-grid pairs
    padded = F.pad(edge[None, None], (r, r, 0, r), value=1.0)[0]
    aff = index.affinity(padded)[0]                                   # D×N over the padded source grid
    hp, wp = h + r, w + 2 * r
    src, dst = index.src_dst(hp, wp)
    sy, sx = src // wp, src % wp - r
    dy, dx = dst // wp, dst % wp - r
    inside = (sy < h) & (sx >= 0) & (sx < w) & (dy < h) & (dx >= 0) & (dx < w)   # D×N (src broadcast)
    rows = (sy * w + sx).expand_as(dst)[inside]
    cols = (dy * w + dx)[inside]
    return rows.to(edge.device), cols.to(edge.device), aff[inside.to(edge.device)]


def transition_sparse(edges: Sequence[torch.Tensor], radius: int, beta: float) -> torch.Tensor:
    """Block-diagonal CSR M = D^-1 A^beta (row-normalised) over the images' stride-4 grids."""
    rows, cols, vals, offset = [], [], [], 0
    for edge in edges:
        r, c, a = local_affinity(edge, radius)
        n = edge.numel()
        diag = torch.arange(n, device=edge.device)
        a = a.pow(beta)
        rows += [r + offset, c + offset, diag + offset]
        cols += [c + offset, r + offset, diag + offset]
        vals += [a, a, torch.ones(n, device=edge.device, dtype=a.dtype)]
        offset += n
    rows, cols, vals = torch.cat(rows), torch.cat(cols), torch.cat(vals)
    degree = torch.zeros(offset, device=vals.device, dtype=vals.dtype).index_add_(0, rows, vals)
    coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals / degree[rows], (offset, offset),
                                  check_invariants=False)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": CSR @ dense is all we use
        warnings.simplefilter("ignore", UserWarning)
        return coo.coalesce().to_sparse_csr()


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


def propagate(cams: Sequence[torch.Tensor], edges: Sequence[torch.Tensor], *, radius: int = 5, beta: float = 10.0,
              exp_times: int = 8, method: str = "sparse") -> list[torch.Tensor]:
    """Random walk of each image's K×h×w stride-4 CAMs over its h×w edge map -> K×h×w walked CAMs."""
    xs = [(c * (1 - e)).reshape(c.shape[0], -1) for c, e in zip(cams, edges)]
    if method == "dense":
        return [(x @ transition_dense(e, radius, beta, exp_times)).view_as(c) for x, e, c in zip(xs, edges, cams)]
    if method != "sparse":
        raise ValueError(f"method must be 'sparse' or 'dense', got {method!r}")
    m = transition_sparse(edges, radius, beta)
    k = max(x.shape[0] for x in xs)
    z = torch.cat([F.pad(x, (0, 0, 0, k - x.shape[0])).t() for x in xs])  # (ΣN)×K, zero rows pad missing classes
    for _ in range(2 ** exp_times):
        z = m @ z
    out, offset = [], 0
    for x, c in zip(xs, cams):
        n = x.shape[1]
        out.append(z[offset:offset + n, :x.shape[0]].t().reshape(c.shape))
        offset += n
    return out


def semantic_labels(walked: torch.Tensor, keys: np.ndarray, size: tuple[int, int], bg_threshold: float) -> np.ndarray:
    """METHOD §4.3 output: ×4 bilinear, crop to size, divide by the global max, bg plane, argmax, map keys
    -> H×W uint8 (0 bg, keys + 1)."""
    up = F.interpolate(walked[None].float(), scale_factor=4, mode="bilinear", align_corners=False)[0]
    up = up[:, :size[0], :size[1]]
    up = up / up.max().clamp_min(1e-12)
    planes = torch.cat([torch.full((1, *up.shape[1:]), bg_threshold, dtype=up.dtype, device=up.device), up])
    ids = np.concatenate([[0], np.asarray(keys, np.int64) + 1])
    return ids[planes.argmax(0).cpu().numpy()].astype(np.uint8)
