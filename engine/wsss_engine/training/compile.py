"""Opt-in torch.compile of a stage's network, with the eager module as the fallback (stage param `compile`).

torch.compile needs a working backend (Inductor: Triton on CUDA, a C++ compiler on the CPU); where it is
missing or fails on the first call, the stage logs why and goes on eagerly. It stays opt-in: whether it
pays depends on the device and sizes (engine/benchmarks/bench_train_step.py --compile; docs/BENCHMARKS.md).
Only the forward is compiled; checkpoints keep reading the eager module's state_dict (same parameters).
"""

from __future__ import annotations

from typing import Callable, Optional

import torch


class _EagerOnFailure:
    """The compiled forward, replaced by the eager one if its first call (where compilation happens) fails."""

    def __init__(self, module: torch.nn.Module, compiled: Callable, log: Callable[[str], None]):
        self.module, self.compiled, self.log, self.checked = module, compiled, log, False

    def __call__(self, *args, **kwargs):
        if self.checked:
            return self.compiled(*args, **kwargs)
        try:
            out = self.compiled(*args, **kwargs)
        except torch.cuda.OutOfMemoryError:
            raise  # not a compiler problem: the stage's out-of-memory message applies
        except Exception as exc:  # any backend failure: the eager module computes the same function
            self.log(f"torch.compile failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); running eagerly")
            self.compiled = self.module
            out = self.module(*args, **kwargs)
        self.checked = True
        return out


def maybe_compile(module: torch.nn.Module, enabled: bool, log: Optional[Callable[[str], None]] = None) -> Callable:
    """`module` itself, or its compiled forward with the eager fallback."""
    if not enabled:
        return module
    log = log or (lambda message: None)
    try:
        compiled = torch.compile(module)
    except Exception as exc:  # e.g. an unsupported Python version or platform
        log(f"torch.compile unavailable ({type(exc).__name__}: {exc}); running eagerly")
        return module
    return _EagerOnFailure(module, compiled, log)
