"""The shared training loop of baseline_cam and train_clims (ARCHITECTURE "StageContext"; METHOD §1.5).

It owns: the resumable data order, the input loader (persistent workers, pinned memory, prefetch; or the
tensor pipeline's device-side decode via `prepare_batch`, data/encoded.py), AMP (bf16/fp16 autocast; GradScaler for fp16), channels_last, checkpoints
every epoch / every `checkpoint_every` steps / every `checkpoint_every_s` seconds / on cancellation (model,
extras, optimizer, scheduler, scaler, step, RNG states; always at a step boundary), exact resume, metrics, progress, cancellation and torchrun data parallelism.
The stage supplies `step_fn(batch) -> (loss, {name: tensor|float})` and the modules it trains.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..device import rng_state, set_rng_state
from ..errors import Cancelled, OutOfMemory, StageFailed
from .checkpoint import load_checkpoint, save_checkpoint
from .data_order import EpochTagged, ResumableSampler, SeededItems
from .distributed import DistInfo, average_gradients, broadcast_from_main, max_param_difference, unwrap


@dataclass(frozen=True)
class LoopConfig:
    epochs: int = 1
    batch_size: int = 16
    num_workers: int | None = None  # None: default_num_workers()
    prefetch_factor: int = 4  # batches each worker prepares ahead
    cudnn_benchmark: bool = True  # fixed-size crops: cuDNN picks the fastest kernels once
    amp: str = "off"  # "off" | "bf16" | "fp16" | "auto" (bf16 on CUDA, else off)
    channels_last: bool = False
    log_every: int = 10
    checkpoint_every: int = 0  # extra checkpoints every N steps (0: per epoch and on cancel only)
    checkpoint_every_s: float = 600.0  # extra checkpoint once this long since the last one (0: off)
    seed: int = 0
    stop_after: int | None = None  # stop (as if complete) after this many steps: quick runs, benchmarks
    max_steps: int | None = None  # iteration-based schedule: this many steps in all (epochs then ignored)
    accumulate: int = 1  # gradient accumulation: each step = `accumulate` micro-batches of
    # batch_size / accumulate (deeplab-pytorch iter_size)

    @classmethod
    def from_params(cls, params: dict, seed: int) -> "LoopConfig":
        fields = cls.__dataclass_fields__
        return cls(seed=seed, **{k: v for k, v in params.items() if k in fields and k != "seed" and v is not None})


def default_num_workers() -> int:
    """Loader processes when a stage does not say: half the CPUs (the official scripts' os.cpu_count() // 2),
    at most 8 (enough to feed one GPU with the reference pipeline; the tensor pipeline needs fewer). Inside the
    engine server or daemon (runs on threads): 0, loading in the run's own thread (device.py)."""
    from ..device import forked_loaders_by_default

    return min(8, (os.cpu_count() or 2) // 2) if forked_loaders_by_default() else 0


def resolve_amp(amp: str, device: torch.device) -> str:
    if amp == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "off"
    if amp not in ("off", "bf16", "fp16"):
        raise ValueError(f"amp must be off, bf16, fp16 or auto, got {amp!r}")
    return "off" if amp == "fp16" and device.type != "cuda" else amp


def autocast(amp: str, device: torch.device):
    if amp == "off":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


@dataclass
class Trainer:
    """One training stage's run. `model` may be DDP-wrapped; `extras` are other trained modules (adaptors)."""

    ctx: object
    stage_id: str
    stage_type: str
    cfg: LoopConfig
    dataset: Dataset
    model: nn.Module
    model_meta: dict
    optimizer: torch.optim.Optimizer
    scheduler: object
    step_fn: Callable
    extras: dict[str, nn.Module] | None = None
    dist: DistInfo = DistInfo()
    collate_fn: Callable | None = None
    extra_state: object | None = None  # has state_dict()/load_state_dict() (e.g. online selection)
    on_step_end: Callable[[int], None] | None = None
    device: torch.device | None = None  # this rank's device (default ctx.device)
    prepare_batch: Callable[[dict], dict | None] | None = None  # loader batch -> device batch (default to_device)

    def __post_init__(self):
        self.device = self.device or self.ctx.device
        if self.device.type == "cuda" and self.cfg.cudnn_benchmark:
            torch.backends.cudnn.benchmark = True
        self.num_workers = default_num_workers() if self.cfg.num_workers is None else int(self.cfg.num_workers)
        self._loader: DataLoader | None = None
        self.amp = resolve_amp(self.cfg.amp, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp == "fp16")
        self.extras = self.extras or {}
        self.sampler = ResumableSampler(
            len(self.dataset), self.cfg.batch_size, self.cfg.seed, self.dist.rank, self.dist.world
        )
        self.items = SeededItems(self.dataset, self.cfg.seed)
        self.steps_per_epoch = self.sampler.batches_per_epoch()
        if self.steps_per_epoch == 0:
            from ..errors import DatasetError

            raise DatasetError(
                f"{len(self.dataset)} training images are fewer than one batch of "
                f"{self.cfg.batch_size} x {self.dist.world} process(es)",
                hint="lower batch_size or use a larger image list",
            )
        self.max_steps = self.cfg.max_steps or self.steps_per_epoch * self.cfg.epochs
        if self.cfg.accumulate < 1 or self.cfg.batch_size % self.cfg.accumulate:
            from ..errors import ConfigInvalid

            raise ConfigInvalid(
                f"batch_size {self.cfg.batch_size} is not a multiple of accumulate {self.cfg.accumulate}",
                hint="the batch is split into `accumulate` equal parts",
            )
        self.step = 0
        self.last_finite_loss: float | None = None
        self.resumed_at: int | None = None
        self.path = self.ctx.run.checkpoint_path(self.stage_id)
        self.last_save = time.monotonic()

    # ------------------------------------------------------------------ checkpoints
    def state(self, complete: bool, summary: dict | None = None) -> dict:
        return {
            "stage_type": self.stage_type,
            "model_meta": self.model_meta,
            "model": unwrap(self.model).state_dict(),
            "extras": {k: m.state_dict() for k, m in self.extras.items()},
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": self.step,
            "max_steps": self.max_steps,
            "rng": rng_state(),
            "extra_state": self.extra_state.state_dict() if self.extra_state else None,
            "complete": complete,
            "summary": summary,
        }

    def save(self, complete: bool = False, summary: dict | None = None) -> None:
        if self.dist.is_main:
            save_checkpoint(self.path, self.state(complete, summary))
        self.last_save = time.monotonic()
        if self.dist.enabled and complete:
            torch.distributed.barrier()  # later stages on every rank read this checkpoint

    def try_resume(self) -> dict | None:
        """Continue from this stage's checkpoint; returns the stored summary if the stage had completed."""
        ckpt = load_checkpoint(self.path)
        if ckpt is None:
            return None
        configured_lrs = list(getattr(self.scheduler, "base_lrs", []))
        try:
            unwrap(self.model).load_state_dict(ckpt["model"])
            for name, module in self.extras.items():
                module.load_state_dict(ckpt["extras"][name])
            self.optimizer.load_state_dict(ckpt["optimizer"])
        except (KeyError, RuntimeError, ValueError) as exc:
            from ..errors import RunFolderError

            raise RunFolderError(
                f"checkpoint {self.path} does not match stage {self.stage_id!r} as configured now "
                f"({str(exc).splitlines()[0][:200]})",
                hint="restore the stage's previous settings, or delete the checkpoint to "
                "restart this stage from scratch",
                path=self.path,
            ) from exc
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.apply_configured_lr(configured_lrs)
        self.scaler.load_state_dict(ckpt["scaler"])
        if self.extra_state is not None and ckpt.get("extra_state") is not None:
            self.extra_state.load_state_dict(ckpt["extra_state"])
        self.step = self.resumed_at = int(ckpt["step"])
        set_rng_state(ckpt["rng"])
        self.ctx.log(f"{self.stage_id}: resuming from {self.path} at step {self.step}/{self.max_steps}")
        return ckpt.get("summary") if ckpt.get("complete") else None

    def apply_configured_lr(self, configured: list[float]) -> None:
        """The config's lr wins over the checkpoint's: a run that diverged resumes with the lowered lr its
        error hint asked for (optimizer and scheduler state otherwise restored exactly)."""
        stored = list(getattr(self.scheduler, "base_lrs", []))
        if not configured or configured == stored:
            return
        for group, new, old in zip(self.optimizer.param_groups, configured, stored):
            group["lr"] = group["lr"] * new / old if old else new
            group["initial_lr"] = new
        self.scheduler.base_lrs = configured
        self.ctx.log(
            f"{self.stage_id}: lr changed since the checkpoint ({stored[0]:g} -> {configured[0]:g}); "
            "continuing with the configured lr"
        )

    def check_finite(self, loss: torch.Tensor) -> None:
        """Stop at the step whose loss is NaN/Inf, before it updates (or checkpoints) the weights: the last
        checkpoint stays a good one to resume from with a lower lr (docs/BAD-INPUT.md)."""
        value = float(loss.detach().float())
        if math.isfinite(value):
            self.last_finite_loss = value
            return
        last = "none yet" if self.last_finite_loss is None else f"{self.last_finite_loss:.6g}"
        hint = (
            f"lower the stage's lr (e.g. halve it) in the config and resume the run: it continues from the last "
            f"checkpoint ({self.path.name}) with the configured lr; with amp fp16, try bf16 or off"
        )
        if self.step == self.resumed_at:  # the very first step after a resume: the checkpoint itself is bad
            hint = (
                f"the checkpoint this resume started from (step {self.step}) already holds diverged weights: "
                f"delete {self.path} to restart this stage, lower its lr in the config, and resume the run"
            )
        raise StageFailed(
            f"stage '{self.stage_id}' ({self.stage_type}) diverged at step {self.step + 1}: the loss is {value} "
            f"(last finite loss: {last}); this step did not update the weights and no checkpoint was written",
            hint=hint,
            path=self.path,
        )

    def check_cancelled(self) -> None:
        """Under torchrun every rank must stop at the same step (a rank that stops alone leaves its peers
        waiting in the gradient all-reduce): the ranks agree on the cancel flag once per step."""
        if not self.dist.enabled:
            self.ctx.check_cancelled()
            return
        flag = torch.tensor([1.0 if self.ctx.cancelled else 0.0], device=self.device)
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        if flag.item() > 0:
            raise Cancelled(f"run cancelled during stage '{self.stage_id}' (all ranks stop at step {self.step})")

    # ------------------------------------------------------------------ the loop
    def loader(self, epoch: int, start_batch: int) -> DataLoader:
        """One DataLoader for the whole stage: its workers persist across epochs. The sampler is read in this
        process at every pass, and tags each index with its epoch (workers hold their own copy of `items`)."""
        self.sampler.set_position(epoch, start_batch)
        self.items.epoch = epoch
        if self._loader is None:
            workers = self.num_workers
            self._loader = DataLoader(
                self.items,
                batch_size=self.cfg.batch_size,
                sampler=EpochTagged(self.sampler),
                drop_last=True,
                num_workers=workers,
                collate_fn=self.collate_fn,
                pin_memory=self.device.type == "cuda",
                persistent_workers=workers > 0,
                prefetch_factor=self.cfg.prefetch_factor if workers > 0 else None,
            )
        return self._loader

    def to_device(self, batch: dict) -> dict:
        """Tensors to the device; the labels also stay on the CPU ("label_cpu"): pair building reads them
        there, so the step never waits for the device (issue 11)."""
        if self.prepare_batch is not None:
            return self.prepare_batch(batch)
        out = {"label_cpu": batch["label"]} if isinstance(batch.get("label"), torch.Tensor) else {}
        for k, v in batch.items():
            if isinstance(v, torch.Tensor):
                v = v.to(self.device, non_blocking=True)
                if k == "image" and self.cfg.channels_last:
                    v = v.contiguous(memory_format=torch.channels_last)
            out[k] = v
        return out

    def train_step(self, batch: dict) -> dict:
        if self.cfg.accumulate > 1:
            return self.accumulated_step(batch)
        with autocast(self.amp, self.device):
            loss, values = self.step_fn(batch)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        # the step's one host sync, after the backward is queued (the device stays busy while the host waits);
        # a non-finite loss still stops before the weights change
        self.check_finite(loss)
        return self.apply_step({"loss": loss.detach(), **values})

    def accumulated_step(self, batch: dict) -> dict:
        """One optimizer step over `accumulate` micro-batches, each loss divided by their number (the gradient
        of the whole batch's mean loss, at a fraction of the memory)."""
        parts, size = self.cfg.accumulate, self.cfg.batch_size // self.cfg.accumulate
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict = {}
        for k in range(parts):
            micro = {key: v[k * size : (k + 1) * size] for key, v in batch.items()}
            with autocast(self.amp, self.device):
                loss, values = self.step_fn(micro)
            self.scaler.scale(loss / parts).backward()
            for name, v in {"loss": loss, **values}.items():
                v = v.detach() if isinstance(v, torch.Tensor) else v
                sums[name] = sums.get(name, 0.0) + v / parts
        return self.apply_step(sums)

    def apply_step(self, values: dict) -> dict:
        average_gradients(list(self.extras.values()), self.dist)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return values

    def run(self) -> dict:
        summary = self.try_resume()
        if summary is not None:
            return summary
        broadcast_from_main(list(self.extras.values()), self.dist)
        for m in [self.model, *self.extras.values()]:
            m.train()
        if self.cfg.channels_last:
            self.model.to(memory_format=torch.channels_last)
        stop = min(self.max_steps, self.cfg.stop_after or self.max_steps)
        started, images_seen, last = time.perf_counter(), 0, {}
        try:
            while self.step < stop:
                epoch, start = divmod(self.step, self.steps_per_epoch)
                for batch in self.loader(epoch, start):
                    self.check_cancelled()
                    batch = None if batch is None else self.to_device(batch)
                    if batch is None:  # every image of the batch was unreadable and skipped
                        continue
                    values = self.train_step(batch)
                    self.step += 1
                    images_seen += self.cfg.batch_size * self.dist.world
                    if self.on_step_end is not None:
                        self.on_step_end(self.step)
                    if self.step % self.cfg.log_every == 0 or self.step == stop:
                        last = self.report(values, images_seen / (time.perf_counter() - started))
                    if self.cfg.checkpoint_every and self.step % self.cfg.checkpoint_every == 0 or self.save_due():
                        self.save()
                    if self.step >= stop:
                        break
                if self.step % self.steps_per_epoch == 0 and self.step < stop:
                    self.save()  # end of an epoch
        except Cancelled:
            self.save()
            raise
        except torch.cuda.OutOfMemoryError as exc:
            raise OutOfMemory(
                f"{self.stage_id}: out of device memory at batch size {self.cfg.batch_size}",
                hint="lower batch_size, set amp to bf16/fp16, or enable grad_checkpointing",
            ) from exc
        summary = {
            "steps": self.step,
            "epochs": self.step / self.steps_per_epoch,
            "final": last,
            "images_per_s": round(images_seen / max(time.perf_counter() - started, 1e-9), 3),
            "checkpoint": str(self.path),
        }
        if self.dist.enabled:
            summary["ranks"] = self.dist.world
            summary["batch_per_rank"] = self.cfg.batch_size
            summary["rank_max_param_diff"] = max_param_difference(
                [unwrap(self.model), *self.extras.values()], self.dist, self.device
            )
        self.save(complete=True, summary=summary)
        return summary

    def save_due(self) -> bool:
        """The time-based checkpoint (issue 12 item 9): a kill, a crash or a window closed without a polite
        cancel loses at most `checkpoint_every_s` of training."""
        every = self.cfg.checkpoint_every_s
        return bool(every) and time.monotonic() - self.last_save >= every

    def report(self, values: dict, images_per_s: float) -> dict:
        scalars = {k: float(v.detach().float().item() if isinstance(v, torch.Tensor) else v) for k, v in values.items()}
        scalars["lr"] = self.optimizer.param_groups[0]["lr"]
        scalars["images_per_s"] = images_per_s
        if self.dist.is_main:
            self.ctx.metrics(self.step, **scalars)
            self.ctx.progress(
                self.step,
                self.max_steps,
                f"{self.stage_id}: step {self.step}/{self.max_steps} loss {scalars['loss']:.4f}",
            )
        return scalars
