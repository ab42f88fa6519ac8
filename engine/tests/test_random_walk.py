"""Random walk (METHOD §4.3): the sparse local transition agrees with the reference's dense N×N form, the
affinities are 1 - max(edge) along each path, a batch walks like its images one by one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsss_engine.refine.path_index import path_cells, search_directions
from wsss_engine.refine.random_walk import local_affinity, propagate, semantic_labels

torch.set_num_threads(1)


def _problem(h, w, k=3, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    edge = (torch.rand(h, w, generator=g, dtype=torch.float64) ** 3).to(dtype)  # mostly low, a few boundaries
    return torch.rand(k, h, w, generator=g, dtype=torch.float64).to(dtype), edge


@pytest.mark.parametrize("size", [(9, 12), (16, 13), (20, 20)])
def test_sparse_walk_equals_dense_reference(size):
    """Tolerances: float64 agrees to 1e-9 relative to the largest value; float32 (what runs) to 1e-3 (the 256
    steps against 8 squarings of a dense matrix round differently: we measured up to 1e-4)."""
    cams, edge = _problem(*size, dtype=torch.float64)
    sparse = propagate([cams], [edge], method="sparse")[0]
    dense = propagate([cams], [edge], method="dense")[0]
    scale = dense.abs().max()
    assert scale > 0 and not torch.allclose(sparse, cams * (1 - edge))  # the walk did something
    assert torch.allclose(sparse, dense, rtol=0, atol=1e-9 * scale)
    cams32, edge32 = cams.float(), edge.float()
    s32 = propagate([cams32], [edge32], method="sparse")[0]
    d32 = propagate([cams32], [edge32], method="dense")[0]
    assert torch.allclose(s32, d32, rtol=1e-3, atol=1e-3 * float(scale))


def test_walk_parameters_change_the_result():
    cams, edge = _problem(12, 12, dtype=torch.float64)
    base = propagate([cams], [edge], beta=10, exp_times=8)[0]
    assert not torch.allclose(base, propagate([cams], [edge], beta=2, exp_times=8)[0])
    assert not torch.allclose(base, propagate([cams], [edge], beta=10, exp_times=3)[0])
    assert torch.allclose(
        propagate([cams], [edge], exp_times=0, method="sparse")[0],
        propagate([cams], [edge], exp_times=0, method="dense")[0],
        atol=1e-12,
    )


def test_batch_walk_equals_one_image_at_a_time():
    (c1, e1), (c2, e2) = _problem(10, 14, k=2, seed=1), _problem(13, 9, k=4, seed=2)
    together = propagate([c1, c2], [e1, e2])
    alone = [propagate([c], [e])[0] for c, e in ((c1, e1), (c2, e2))]
    for t, a in zip(together, alone):
        assert t.shape == a.shape and torch.allclose(t, a, atol=1e-6)


def test_local_affinity_is_one_minus_max_edge_along_the_path():
    """Brute force over every in-grid pair within the radius, with the paths of search_directions/path_cells."""
    h, w, radius = 6, 7, 4
    edge = _problem(h, w, seed=3, dtype=torch.float64)[1]
    rows, cols, aff = local_affinity(edge, radius)
    got = {(int(r), int(c)): float(a) for r, c, a in zip(rows, cols, aff)}
    want = {}
    for y in range(h):
        for x in range(w):
            for dy, dx in search_directions(radius):
                if not (0 <= y + dy < h and 0 <= x + dx < w):
                    continue
                path_max = max(float(edge[y + py, x + px]) for py, px in path_cells(dy, dx))
                want[(y * w + x, (y + dy) * w + x + dx)] = 1 - path_max
    assert got.keys() == want.keys()
    assert max(abs(got[k] - want[k]) for k in want) < 1e-12


def test_semantic_labels_follow_the_method():
    """x4 bilinear, crop, global max, bg plane, argmax, keys + 1."""
    walked = torch.zeros(2, 3, 4)
    walked[0, :, :2] = 1.0  # class key 4 on the left
    walked[1, :, 3] = 0.5  # class key 7 on the right, half as strong
    labels = semantic_labels(walked, np.array([4, 7]), (10, 15), bg_threshold=0.2)
    assert labels.shape == (10, 15) and labels.dtype == np.uint8
    assert labels[5, 0] == 5 and labels[5, 14] == 8 and labels[5, 9] == 0
    assert set(np.unique(labels)) == {0, 5, 8}
    assert (semantic_labels(walked, np.array([4, 7]), (10, 15), bg_threshold=0.6) == 8).sum() == 0
