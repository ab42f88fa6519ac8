"""Test plugin (loaded with WSSS_ENGINE_PLUGINS=counting_stage, this folder on PYTHONPATH): a small but real
resumable training stage, and a long request that honours $/cancelRequest.

Stage type "count": fits y = x @ w_true with a linear layer by SGD on batches drawn from torch's RNG, one
step per `sleep_s`; checkpoints {step, model, optimizer, rng} every `checkpoint_every` steps and on cancel,
and on start continues from its checkpoint, so a cancelled-then-resumed run ends with the same weights as an
uninterrupted one. `fail_at_step` raises a plain error, `oom_at_step` raises torch's out-of-memory error.
"""

from __future__ import annotations

import os
import threading
import time

import torch

from wsss_engine.errors import Cancelled
from wsss_engine.pipeline import StageContext, register_stage
from wsss_engine.rpc.protocol import Method, Param
from wsss_engine.rpc.server import register_request

COUNT_PARAMS = {
    "type": "object",
    "properties": {
        "steps": {"type": "integer", "minimum": 1, "default": 20, "description": "training steps"},
        "sleep_s": {"type": "number", "minimum": 0, "default": 0.0, "description": "pause per step"},
        "checkpoint_every": {"type": "integer", "minimum": 1, "default": 5, "description": "steps"},
        "fail_at_step": {"type": ["integer", "null"], "default": None, "description": "raise at this step"},
        "oom_at_step": {"type": ["integer", "null"], "default": None, "description": "OOM at this step"},
    },
}


def _save(ctx: StageContext, step: int, model: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
    ctx.save_checkpoint(
        {"step": step, "model": model.state_dict(), "optimizer": opt.state_dict(), "rng": ctx.rng_state()}
    )


@register_stage("count", params_schema=COUNT_PARAMS)
def run(ctx: StageContext, params: dict) -> dict:
    model = torch.nn.Linear(4, 1, bias=False).to(ctx.device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    w_true = torch.tensor([[1.0], [-2.0], [0.5], [3.0]], device=ctx.device)
    start = 0
    state = ctx.load_checkpoint()
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        ctx.set_rng_state(state["rng"])
        start = state["step"]
        ctx.log(f"resuming at step {start}")
    print("stray print from the counting stage")  # must land on stderr, never in the protocol stream
    os.write(1, b"stray bytes on fd 1\n")  # as C extensions write: fd 1 must not be the protocol stream either
    loss = torch.tensor(float("nan"))
    steps = params["steps"]
    for step in range(start, steps):
        try:
            ctx.check_cancelled()
        except Cancelled:
            _save(ctx, step, model, opt)
            raise
        if params["fail_at_step"] == step:
            raise ValueError(f"deliberate failure at step {step}")
        if params["oom_at_step"] == step:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (deliberate)")
        x = torch.randn(8, 4, device=ctx.device)
        loss = torch.nn.functional.mse_loss(model(x), x @ w_true)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ctx.metrics(step, loss=loss.item())
        ctx.progress(step + 1, steps, f"step {step + 1}")
        if (step + 1) % params["checkpoint_every"] == 0:
            _save(ctx, step + 1, model, opt)
        time.sleep(params["sleep_s"])
    _save(ctx, steps, model, opt)
    return {
        "steps": steps,
        "resumed_from": start,
        "final_loss": loss.item(),
        "weights": model.weight.detach().cpu().flatten().tolist(),
    }


def wait(params: dict, cancelled: threading.Event) -> dict:
    """Waits up to `seconds`, or until the request is cancelled."""
    cancelled.wait(params["seconds"])
    return {"waited": params["seconds"]}


register_request("test/wait", wait, Method(params=(Param("seconds", "number"),), result=("waited",), long=True))
