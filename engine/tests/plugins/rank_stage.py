"""Test plugin (WSSS_ENGINE_PLUGINS=rank_stage): stage "rank_fail", run by every torchrun rank, that fails on
one rank while the others wait in a collective that rank never joins (a real gloo all-reduce): the case the
run's watchdog must end instead of hanging."""

from __future__ import annotations

import torch
import torch.distributed as dist

from wsss_engine.pipeline import register_stage

PARAMS = {
    "type": "object",
    "properties": {"fail_rank": {"type": "integer", "minimum": 0, "default": 1, "description": "the rank that raises"}},
}


@register_stage("rank_fail", params_schema=PARAMS)
def run(ctx, params: dict) -> dict:
    if ctx.dist.rank == int(params.get("fail_rank", 1)):
        raise ValueError(f"injected failure on rank {ctx.dist.rank}")
    flag = torch.ones(1, device=ctx.device)
    dist.all_reduce(flag)  # the failing rank never joins: this rank is stuck until the watchdog ends it
    return {"reduced": float(flag.item())}


run.all_ranks = True
