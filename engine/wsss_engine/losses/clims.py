"""CLIMS losses: L_OTM, L_BTM, L_CBS, L_REG and their weightings (METHOD §1.4; POLE Eq. 5).

All similarities are cosines between L2-normalised CLIP embeddings (METHOD §1.3). OTM/BTM clamp to
[1e-4, 0.9999] as improved CLIMS does (`clip_loss.py`); the camera-ready did not clamp, we always do so that
log() stays finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

EPS_LOW, EPS_HIGH = 1e-4, 0.9999

# METHOD §1.4: improved CLIMS / POLE background prompts for the VOC L_CBS.
VOC_BACKGROUND_WORDS = ["tree", "river", "sea", "lake", "water", "railway", "railroad", "track", "stone", "rocks"]
# METHOD §1.4: the camera-ready's class-specific co-occurring backgrounds (no threshold, mean over prompts).
CAMERA_READY_CLASS_BACKGROUNDS = {
    "boat": ["river", "water", "lake", "sea", "building"],
    "train": ["railroad", "railway", "branches", "tree"],
}
# METHOD §1.4: the camera-ready's `cal_weights` up-weights OTM/BTM 3x for these classes.
CAMERA_READY_CLASS_WEIGHTS = {"sofa": 3.0, "diningtable": 3.0, "chair": 3.0}


@dataclass(frozen=True)
class ClimsLossConfig:
    """Weights (α, β, γ, δ) and the variant of each term."""

    otm: float = 10.0
    btm: float = 24.0
    cbs: float = 1.0
    reg: float = 0.2
    cbs_mode: str = "threshold_sum"  # "threshold_sum" (improved) | "class_specific" (camera-ready)
    cbs_threshold: float = 0.26  # real CLIP; calibrate for a tiny CLIP (docs/DESIGN.md#the-synthetic-world)
    background_template: str = "a photo of {}."
    background_words: tuple = tuple(VOC_BACKGROUND_WORDS)
    class_backgrounds: dict = field(default_factory=dict)  # class -> words, for cbs_mode "class_specific"
    class_weights: dict = field(default_factory=dict)  # class -> OTM/BTM weight (camera-ready cal_weights)
    reg_form: str = "all"  # "all": mean over N×C×h×w (improved) | "present": GT channels only
    # The class prompts of OTM/BTM (METHOD §1.3): improved CLIMS / POLE say "a photo of {name}." with the CLIMS
    # names ("player" for person: the bank's first word); the camera-ready said "a photo of {}" with the plain
    # class names ("person", "diningtable") and no period.
    prompt_template: str = "a photo of {}."
    prompt_words: str = "bank"  # "bank": each class's ground-truth word | "class_names"


PRESETS = {
    # improved CLIMS `--hyper 10,24,1,0.2` (METHOD §1.4, §9.2)
    "improved": ClimsLossConfig(),
    # POLE's run_CLIMS.sh `--hyper 10,25,1,0`: L_REG dropped (METHOD §1.4, §7.14)
    "pole_code": ClimsLossConfig(btm=25.0, reg=0.0),
    # camera-ready CLIMS `previous_version/train_CLIMS.py` hyper [10, 25, 29.5, 1.15], class-specific CBS; its
    # L_REG is the mean over the 20 class channels, which for our C-channel maps is the "all" form.
    "camera_ready": ClimsLossConfig(
        btm=25.0,
        cbs=29.5,
        reg=1.15,
        cbs_mode="class_specific",
        background_template="a photo of {}",
        class_backgrounds=CAMERA_READY_CLASS_BACKGROUNDS,
        class_weights=CAMERA_READY_CLASS_WEIGHTS,
        prompt_template="a photo of {}",
        prompt_words="class_names",
    ),
}


def loss_config(preset: str = "improved", **overrides) -> ClimsLossConfig:
    """A preset with any field overridden (None values ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown loss preset {preset!r}; use one of {sorted(PRESETS)}")
    changes = {k: (tuple(v) if k == "background_words" else v) for k, v in overrides.items() if v is not None}
    return replace(PRESETS[preset], **changes)


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine of paired embeddings (P×D, P×D) -> P."""
    return (F.normalize(a.float(), dim=-1) * F.normalize(b.float(), dim=-1)).sum(-1)


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    return values.mean() if weights is None else (values * weights).mean()


def otm_loss(sim_fg: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """L_OTM = −mean log s,  s = cos(f_v(X·P_k), f_t(t_k)) clamped (METHOD §1.4, POLE Eq. 5 α-term)."""
    return -_weighted_mean(torch.log(sim_fg.clamp(EPS_LOW, EPS_HIGH)), weights)


def btm_loss(sim_bg: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """L_BTM = −mean log(1 − s),  s = cos(f_v(X·(1−P_k)), f_t(t_k)) clamped (METHOD §1.4, Eq. 5 β-term)."""
    return -_weighted_mean(torch.log(1.0 - sim_bg.clamp(EPS_LOW, EPS_HIGH)), weights)


def cbs_loss_threshold(fg_image_emb: torch.Tensor, bg_text_emb: torch.Tensor, threshold: float) -> torch.Tensor:
    """Improved L_CBS: −SUM over (fg image, bg prompt) entries with s > threshold of log(1 − s) (METHOD §1.4, §7.14).

    A sum, not a mean: the magnitude grows with the number of positive pairs in the batch, as in the reference.
    """
    sims = F.normalize(fg_image_emb.float(), dim=-1) @ F.normalize(bg_text_emb.float(), dim=-1).t()
    keep = sims > threshold
    return -(torch.log(1.0 - sims.clamp(max=EPS_HIGH)) * keep).sum()


def cbs_loss_class_specific(
    fg_image_emb: torch.Tensor, pair_classes: list[str], class_text_emb: dict[str, torch.Tensor]
) -> torch.Tensor:
    """Camera-ready L_CBS: for each fg image whose class has a background list, −mean over its prompts of
    log(1 − s), no threshold; summed over those images (METHOD §1.4, `previous_version/clip_loss.py`)."""
    total = fg_image_emb.new_zeros(())
    img = F.normalize(fg_image_emb.float(), dim=-1)
    for i, name in enumerate(pair_classes):
        if name in class_text_emb:
            sims = img[i] @ F.normalize(class_text_emb[name].float(), dim=-1).t()
            total = total - torch.log(1.0 - sims.clamp(max=EPS_HIGH)).mean()
    return total


def reg_loss(cams: torch.Tensor, labels: torch.Tensor | None = None, form: str = "all") -> torch.Tensor:
    """L_REG, pixel-level area regularisation (METHOD §1.4).

    "all": mean of the sigmoid CAMs over all N×C×h×w entries, absent classes included (improved CLIMS;
    equals the camera-ready's mean over the class channels of its 21-channel map). "present": mean over
    the GT-present channels only (a variant, not in either reference).
    """
    if form == "all":
        return cams.float().mean()
    if form == "present":
        # a masked mean, not cams[present].mean(): no data-dependent shape, so no host sync (0 when none present)
        present = (labels > 0.5).to(cams.dtype)[:, :, None, None].expand_as(cams)
        return (cams.float() * present).sum() / (present.sum() * 1.0).clamp(min=1.0)
    raise ValueError(f"unknown L_REG form {form!r}; use 'all' or 'present'")


def total_loss(cfg: ClimsLossConfig, terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """α L_OTM + β L_BTM + γ L_CBS + δ L_REG (METHOD §1.4; POLE Eq. 5 writes only the α and β terms)."""
    return cfg.otm * terms["otm"] + cfg.btm * terms["btm"] + cfg.cbs * terms["cbs"] + cfg.reg * terms["reg"]
