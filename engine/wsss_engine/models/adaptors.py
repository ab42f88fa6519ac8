"""POLE embedding adaptors, Eqs. 7–8 (METHOD §2.3).

    v* = r ⊙ A(v) + (1 − r) ⊙ v,    A(v) = ReLU(v W1) W2                      (paper form)
    A(v) = ReLU(ReLU(v W1) W2)                                               (reference-code form: trailing ReLU)

W1: D→D/4, W2: D/4→D, no bias, PyTorch default init. r is a learnable vector initialised to 0.2 and
unconstrained (no sigmoid/clamp), or a fixed scalar 0.2 for the "fixed adaptor" ablation (Table 4).
Applied to raw (un-normalised) CLIP embeddings before L2 normalisation, in L_OTM and L_BTM only (§2.3).
"""

from __future__ import annotations

import torch
from torch import nn

FORMS = ("code", "paper")
RATIOS = ("learnable", "fixed")


class Adaptor(nn.Module):
    def __init__(
        self, dim: int, reduction: int = 4, form: str = "code", ratio: str = "learnable", ratio_init: float = 0.2
    ):
        super().__init__()
        if form not in FORMS or ratio not in RATIOS:
            raise ValueError(f"adaptor form must be one of {FORMS} and ratio one of {RATIOS}")
        self.form = form
        self.fc1 = nn.Linear(dim, dim // reduction, bias=False)
        self.fc2 = nn.Linear(dim // reduction, dim, bias=False)
        if ratio == "learnable":
            self.ratio = nn.Parameter(torch.full((dim,), float(ratio_init)))
        else:
            self.register_buffer("ratio", torch.tensor(float(ratio_init)))

    def residual(self, v: torch.Tensor) -> torch.Tensor:
        """A(v)."""
        a = self.fc2(torch.relu(self.fc1(v)))
        return torch.relu(a) if self.form == "code" else a

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        r = self.ratio.to(v.dtype)
        return r * self.residual(v) + (1.0 - r) * v


class ClipAdaptors(nn.Module):
    """A_v for image embeddings (foreground and background masked images), A_t for prompt embeddings."""

    def __init__(self, dim: int, form: str = "code", ratio: str = "learnable", ratio_init: float = 0.2):
        super().__init__()
        self.image = Adaptor(dim, form=form, ratio=ratio, ratio_init=ratio_init)
        self.text = Adaptor(dim, form=form, ratio=ratio, ratio_init=ratio_init)
