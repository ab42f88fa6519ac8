"""Data-parallel training under torchrun (WORLD_SIZE > 1): same config, one process per GPU.

The CAM network is wrapped in DistributedDataParallel; modules used outside its forward (the POLE adaptors,
which act on CLIP embeddings) have their gradients averaged explicitly after backward.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device: torch.device) -> tuple[DistInfo, torch.device]:
    """Join the torchrun process group when WORLD_SIZE > 1; returns (info, this rank's device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistInfo(rank, world, local_rank), device


def per_rank_batch(batch_size: int, world: int, mode: str = "split") -> int:
    """Images per rank and step. "split" keeps the global batch at the config's value (the lr was tuned for it:
    16, METHOD §1.5); "scale" gives every rank the full value (global batch = batch_size x ranks)."""
    from ..errors import ConfigInvalid

    if mode not in ("split", "scale"):
        raise ConfigInvalid(f"unknown distributed_batch {mode!r}", hint="use split or scale")
    if world <= 1 or mode == "scale":
        return batch_size
    if batch_size % world:
        raise ConfigInvalid(
            f"batch_size {batch_size} cannot be split evenly across {world} processes",
            hint=f'use a batch_size divisible by {world}, or "distributed_batch": "scale" '
            f"to give every process {batch_size} images",
        )
    return batch_size // world


def wrap_model(model: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    if not info.enabled:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def average_gradients(modules: list[nn.Module], info: DistInfo) -> None:
    if not info.enabled:
        return
    for module in modules:
        for p in module.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad)
                p.grad /= info.world


def broadcast_from_main(modules: list[nn.Module], info: DistInfo) -> None:
    """Start every rank from rank 0's weights (DDP does this for the wrapped model, not for the extras)."""
    if not info.enabled:
        return
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def max_param_difference(modules: list[nn.Module], info: DistInfo, device: torch.device) -> float:
    """Largest |weight - rank 0's weight| over all ranks and parameters: 0.0 when data parallelism kept the
    replicas identical (a check reported in the training summary under torchrun)."""
    if not info.enabled:
        return 0.0
    worst = torch.zeros(1, device=device, dtype=torch.float64)
    for module in modules:
        for p in module.parameters():
            mine = p.detach().to(device)
            main = mine.clone()
            dist.broadcast(main, src=0)
            worst = torch.maximum(worst, (mine - main).abs().max().to(torch.float64).reshape(1))
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst.item())
