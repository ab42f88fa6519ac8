"""Optimiser and schedules (METHOD §1.5): poly / cosine, 10x head, adaptor factor, the momentum quirk."""

from __future__ import annotations

import math

import pytest
import torch

from wsss_engine.training.optim import OptimConfig, ScheduleFactor, build_optimizer

torch.set_num_threads(1)


def groups():
    torch.manual_seed(0)
    return {
        "backbone": torch.nn.Parameter(torch.randn(3)),
        "head": torch.nn.Parameter(torch.randn(3)),
        "adaptors": torch.nn.Parameter(torch.randn(3)),
    }


def build(cfg, max_steps=10):
    p = groups()
    opt, sched = build_optimizer([{"name": k, "params": [v]} for k, v in p.items()], cfg, max_steps)
    return p, opt, sched


def test_group_learning_rates():
    _, opt, _ = build(OptimConfig(lr=0.1, head_lr_mult=10, adaptor_lr_mult=0.5))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 1.0, 0.05])
    assert all(g["weight_decay"] == 1e-4 for g in opt.param_groups)


def test_poly_schedule_matches_reference_formula():
    _, opt, sched = build(OptimConfig(lr=0.1, schedule="poly"), max_steps=10)
    seen = []
    for _ in range(12):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expected = [0.1 * (1 - min(t, 9) / 10) ** 0.9 for t in range(12)]
    assert seen == pytest.approx(expected)
    assert seen[0] == pytest.approx(0.1) and seen[10] == seen[9]  # held after max_step, as PolyOptimizer


def test_cosine_schedule():
    f = ScheduleFactor("cosine", 100)
    assert f(0) == pytest.approx(1.0) and f(50) == pytest.approx(0.5)
    assert f(99) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.99)))


def test_momentum_quirk_gives_effective_momentum_equal_to_weight_decay():
    _, quirk, _ = build(OptimConfig(momentum_quirk=True))
    _, fixed, _ = build(OptimConfig(momentum_quirk=False))
    assert all(g["momentum"] == 1e-4 for g in quirk.param_groups)
    assert all(g["momentum"] == 0.9 for g in fixed.param_groups)


def test_momentum_quirk_updates_by_hand():
    """Two steps of a constant gradient: SGD with momentum m=1e-4, wd=1e-4 (the reference's behaviour)."""
    w = torch.nn.Parameter(torch.tensor([1.0]))
    cfg = OptimConfig(lr=0.5, weight_decay=1e-4, momentum_quirk=True, schedule="constant")
    opt, sched = build_optimizer([{"name": "backbone", "params": [w]}], cfg, 10)
    wd, m, lr = 1e-4, 1e-4, 0.5
    x, buf = 1.0, None
    for _ in range(2):
        opt.zero_grad()
        (w * 2.0).sum().backward()
        opt.step()
        sched.step()
        g = 2.0 + wd * x
        buf = g if buf is None else m * buf + g
        x = x - lr * buf
    assert w.item() == pytest.approx(x, rel=1e-7)


def test_adam_and_bad_names():
    _, opt, _ = build(OptimConfig(optimizer="adam", lr=1e-3))
    assert isinstance(opt, torch.optim.Adam)
    with pytest.raises(ValueError):
        build(OptimConfig(optimizer="lbfgs"))
    with pytest.raises(ValueError):
        ScheduleFactor("step", 10)


def test_scheduler_state_round_trips():
    _, opt, sched = build(OptimConfig(lr=0.1), max_steps=10)
    for _ in range(4):
        opt.step()
        sched.step()
    _, opt2, sched2 = build(OptimConfig(lr=0.1), max_steps=10)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for o, sch in ((opt, sched), (opt2, sched2)):
        o.step()
        sch.step()
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
