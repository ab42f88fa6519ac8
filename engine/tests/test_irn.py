"""IRN (METHOD §4.2): path indices, pair labels and the loss on tiny sizes against brute-force loops; the
network's shapes and its frozen backbone."""

from __future__ import annotations

import math

import pytest
import torch

from wsss_engine.refine.irn_loss import irn_loss
from wsss_engine.refine.irn_net import IrnNet
from wsss_engine.refine.path_index import PathIndex, path_cells, search_directions

torch.set_num_threads(1)


def test_search_directions_are_the_half_disc():
    assert len(search_directions(5)) == 34  # 4 on the row + 9 + 9 + 7 + 5 below it
    for radius in (3, 5, 10):
        dirs = search_directions(radius)
        assert len(set(dirs)) == len(dirs)
        assert all(dy > 0 or (dy == 0 and dx > 0) for dy, dx in dirs)
        assert all(0 < dy * dy + dx * dx < radius * radius for dy, dx in dirs)
        # with the opposite offsets and (0, 0) they tile the whole disc
        full = {
            (dy, dx)
            for dy in range(-radius, radius + 1)
            for dx in range(-radius, radius + 1)
            if dy * dy + dx * dx < radius * radius
        }
        assert set(dirs) | {(-dy, -dx) for dy, dx in dirs} | {(0, 0)} == full


def test_paths_run_from_the_destination_to_the_source():
    for dy, dx in search_directions(6):
        cells = path_cells(dy, dx)
        assert cells[0] == (dy, dx) and (0, 0) in cells
        assert len(cells) >= max(abs(dy), abs(dx)) + 1  # a connected run of cells along the segment
        assert all(abs(dy * x - dx * y) / math.hypot(dy, dx) < 1 for y, x in cells)
    assert path_cells(0, 3) == [(0, 3), (0, 2), (0, 1), (0, 0)]


def _brute_pairs(h, w, radius):
    f = radius - 1
    for d, (dy, dx) in enumerate(search_directions(radius)):
        for n, (y, x) in enumerate((y, x) for y in range(h - f) for x in range(f, w - f)):
            yield d, n, (y, x), (y + dy, x + dx), (dy, dx)


def test_pair_labels_match_brute_force():
    g = torch.Generator().manual_seed(0)
    label = torch.randint(0, 3, (1, 8, 9), generator=g)
    label[0, 2:4, 3:6] = 255
    index = PathIndex(3)
    bg, fg, neg = index.pair_labels(label)
    for d, n, (y, x), (y2, x2), _ in _brute_pairs(8, 9, 3):
        a, b = int(label[0, y, x]), int(label[0, y2, x2])
        valid = a != 255 and b != 255
        assert bg[0, d, n] == (valid and a == b == 0)
        assert fg[0, d, n] == (valid and a == b and a > 0)
        assert neg[0, d, n] == (valid and a != b)


def test_irn_loss_matches_the_reference_formula():
    g = torch.Generator().manual_seed(1)
    h, w, radius = 7, 8, 3
    label = torch.randint(0, 3, (2, h, w), generator=g)
    label[1, :2] = 255
    edge = torch.randn(2, 1, h, w, generator=g, dtype=torch.float64)
    disp = torch.randn(2, 2, h, w, generator=g, dtype=torch.float64)
    total, terms = irn_loss(edge, disp, label, PathIndex(radius))
    prob = torch.sigmoid(edge[:, 0])
    sums = {k: 0.0 for k in ("bg", "fg", "neg", "nbg", "nfg", "nneg", "dfg", "dbg")}
    for b in range(2):
        for _d, _n, (y, x), (y2, x2), (dy, dx) in _brute_pairs(h, w, radius):
            a, c = int(label[b, y, x]), int(label[b, y2, x2])
            if a == 255 or c == 255:
                continue
            aff = 1 - max(float(prob[b, y + py, x + px]) for py, px in path_cells(dy, dx))
            pair = disp[b, :, y, x] - disp[b, :, y2, x2]
            if a == c == 0:
                sums["bg"] += -math.log(aff + 1e-5)
                sums["nbg"] += 1
                sums["dbg"] += float(pair.abs().sum())
            elif a == c:
                sums["fg"] += -math.log(aff + 1e-5)
                sums["nfg"] += 1
                sums["dfg"] += float((pair - torch.tensor([dy, dx], dtype=pair.dtype)).abs().sum())
            else:
                sums["neg"] += -math.log(1 + 1e-5 - aff)
                sums["nneg"] += 1
    pos = sums["bg"] / (sums["nbg"] + 1e-5) / 2 + sums["fg"] / (sums["nfg"] + 1e-5) / 2
    neg = sums["neg"] / (sums["nneg"] + 1e-5)
    dp_fg, dp_bg = sums["dfg"] / (2 * sums["nfg"] + 1e-5), sums["dbg"] / (2 * sums["nbg"] + 1e-5)
    assert min(sums["nbg"], sums["nfg"], sums["nneg"]) > 0
    # rel 1e-6: the loss runs in float32
    assert terms["pos_aff"].item() == pytest.approx(pos, rel=1e-6)
    assert terms["neg_aff"].item() == pytest.approx(neg, rel=1e-6)
    assert terms["dp_fg"].item() == pytest.approx(dp_fg, rel=1e-6)
    assert terms["dp_bg"].item() == pytest.approx(dp_bg, rel=1e-6)
    assert total.item() == pytest.approx((pos + neg) / 2 + (dp_fg + dp_bg) / 2, rel=1e-6)


@pytest.mark.parametrize(
    "backbone",
    [
        {"name": "small_cnn", "width": 8, "out_channels": 16, "pretrained": None},
        {"name": "resnet50", "pretrained": None, "fixed_bn": True},
    ],
)
def test_irn_shapes_and_frozen_backbone(backbone):
    torch.manual_seed(0)
    model = IrnNet(backbone).train()
    assert not model.backbone.training and model.edge_out.training
    x = torch.randn(2, 3, 64, 48)
    edge, disp = model(x)
    assert edge.shape == (2, 1, 16, 12) and disp.shape == (2, 2, 16, 12)
    (edge.mean() + disp.mean()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    edge_params, dp_params = model.branch_parameters()
    assert all(p.grad is not None for p in edge_params + dp_params)
    assert len(edge_params) + len(dp_params) == sum(1 for p in model.parameters() if p.requires_grad)
    prob = model.edge_map(torch.randn(3, 37, 50))  # odd sizes: the stride-4 grid of the CAMs, ceil(H/4)
    assert prob.shape == (10, 13) and float(prob.min()) >= 0 and float(prob.max()) <= 1
