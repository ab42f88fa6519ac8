"""Optimiser and learning-rate schedule (METHOD §1.5).

SGD with parameter groups (backbone lr, head 10x, adaptors `adaptor_lr_mult` x) and either
- "poly": lr_t = lr · (1 − t/max_steps)^0.9, as `misc/torchutils.PolyOptimizer` (CLIMS, POLE code, IRN), or
- "cosine": lr_t = lr · ½(1 + cos(π t/max_steps)), the "cosine annealing" POLE §4.1 states.
`momentum_quirk=True` reproduces the reference bug: PolyOptimizer hands weight_decay to SGD's positional
`momentum` argument, so the effective momentum is the weight decay (1e-4), i.e. plain SGD (METHOD §1.5, §7.3).
Per-group weight decay is applied correctly either way. "adam" is offered for the synthetic world
(docs/DESIGN.md#the-synthetic-world: Adam 1e-4 for the CLIMS stage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class OptimConfig:
    optimizer: str = "sgd"  # "sgd" | "adam"
    lr: float = 2.5e-4
    weight_decay: float = 1e-4
    momentum: float = 0.9
    momentum_quirk: bool = True  # reference behaviour: effective momentum = weight_decay
    schedule: str = "poly"  # "poly" | "cosine" | "constant"
    poly_power: float = 0.9
    head_lr_mult: float = 10.0
    adaptor_lr_mult: float = 1.0  # unknown in the reference (METHOD §2.3, §9.4): start at 1x [INFERRED]

    @classmethod
    def from_params(cls, params: dict, **defaults) -> "OptimConfig":
        fields = cls.__dataclass_fields__
        values = {**defaults, **{k: v for k, v in params.items() if k in fields and v is not None}}
        return cls(**values)

    def effective_momentum(self) -> float:
        return self.weight_decay if self.momentum_quirk else self.momentum


class ScheduleFactor:
    """Picklable lr multiplier of step t (LambdaLR state then round-trips through checkpoints)."""

    def __init__(self, schedule: str, max_steps: int, power: float = 0.9):
        if schedule not in ("poly", "cosine", "constant"):
            raise ValueError(f"unknown schedule {schedule!r}; use poly, cosine or constant")
        self.schedule, self.max_steps, self.power = schedule, max(1, int(max_steps)), power

    def __call__(self, step: int) -> float:
        # The reference stops updating the lr once step >= max_step; clamping gives the same end value.
        t = min(step, self.max_steps - 1) / self.max_steps
        if self.schedule == "poly":
            return (1.0 - t) ** self.power
        if self.schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * t))
        return 1.0


def build_optimizer(groups: list[dict], cfg: OptimConfig, max_steps: int):
    """groups: [{"name": "backbone"|"head"|"adaptors"|other, "params": [...], "lr_mult"?: x}]; empty groups are
    dropped. A group's lr is cfg.lr times its lr_mult, else its name's multiplier (others 1x). A group's
    "weight_decay", when given, replaces cfg.weight_decay for it (DeepLab's ASPP biases have none, METHOD §5).

    Returns (optimizer, scheduler); call scheduler.step() after every optimizer.step().
    """
    mults = {"backbone": 1.0, "head": cfg.head_lr_mult, "adaptors": cfg.adaptor_lr_mult}
    param_groups = [
        {
            "params": list(g["params"]),
            "lr": cfg.lr * g.get("lr_mult", mults.get(g["name"], 1.0)),
            "name": g["name"],
            "weight_decay": g.get("weight_decay", cfg.weight_decay),
        }
        for g in groups
        if list(g["params"])
    ]
    if cfg.optimizer == "sgd":
        optimizer = torch.optim.SGD(
            param_groups, lr=cfg.lr, momentum=cfg.effective_momentum(), weight_decay=cfg.weight_decay
        )
    elif cfg.optimizer == "adam":
        optimizer = torch.optim.Adam(param_groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use sgd or adam")
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, ScheduleFactor(cfg.schedule, max_steps, cfg.poly_power))
    return optimizer, scheduler
