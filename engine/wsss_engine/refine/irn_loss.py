"""IRN's training loss (METHOD §4.2; IRN `step/train_irn.py` + `AffinityDisplacementLoss`).

From the stride-4 IR label (0 bg, 1..C, 255 ignore) every pixel pair within the radius is bg-positive,
fg-positive (same class) or negative (different classes); pairs touching 255 are ignored. With the affinity
a = 1 - max(sigmoid(edge) along the path):
  pos = ½ mean_bgpos(-log(a + 1e-5)) + ½ mean_fgpos(-log(a + 1e-5)),  neg = mean_neg(-log(1 + 1e-5 - a)),
  dp_fg = Σ_fgpos |δ(src) - δ(dst) - offset| / (2 n_fgpos),  dp_bg = Σ_bgpos |δ(src) - δ(dst)| / (2 n_bgpos),
  total = (pos + neg) / 2 + (dp_fg + dp_bg) / 2   (each mean has +1e-5 in its denominator, as the reference).
"""

from __future__ import annotations

import torch

from .path_index import PathIndex

EPS = 1e-5


def _masked_mean(values: torch.Tensor, mask: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    return (values * mask).sum() / (scale * mask.sum() + EPS)


def irn_loss(
    edge_logits: torch.Tensor, disp: torch.Tensor, label4: torch.Tensor, index: PathIndex
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """edge_logits B×1×h×w, disp B×2×h×w, label4 B×h×w (stride-4 IR label) -> (total, terms)."""
    bg_pos, fg_pos, neg = index.pair_labels(label4)
    aff = index.affinity(torch.sigmoid(edge_logits.float()[:, 0]))
    pos_loss = -torch.log(aff + EPS)
    pos = _masked_mean(pos_loss, bg_pos) / 2 + _masked_mean(pos_loss, fg_pos) / 2
    neg_loss = _masked_mean(-torch.log(1.0 + EPS - aff), neg)
    pair = index.pair_displacement(disp.float())  # B×2×D×N
    target = index.offsets.to(pair.device).t()[None, :, :, None]  # 1×2×D×1
    dp_fg = _masked_mean((pair - target).abs(), fg_pos.unsqueeze(1), 2.0)
    dp_bg = _masked_mean(pair.abs(), bg_pos.unsqueeze(1), 2.0)
    total = (pos + neg_loss) / 2 + (dp_fg + dp_bg) / 2
    return total, {
        "pos_aff": pos.detach(),
        "neg_aff": neg_loss.detach(),
        "dp_fg": dp_fg.detach(),
        "dp_bg": dp_bg.detach(),
    }
