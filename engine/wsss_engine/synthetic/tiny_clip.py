"""A tiny CLIP (open_clip.CLIP with a small ResNet image tower and a 2-layer text transformer), trained
contrastively on the synthetic world, cached as one checkpoint file.

Checkpoint: {"format": "wsss-tiny-clip", "version", "key", "model_cfg", "state_dict", "mean", "std",
"input_size", "vocab", "context_length", "template", "captions" (words.caption_design), "cbs_threshold",
"report"}. Images go in raw [0, 1] RGB at ``input_size``; mask first, then normalise with mean/std (see
``normalise``), as CLIMS's masked-image construction needs (docs/METHOD.md §1.3, docs/DESIGN.md#the-synthetic-world).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

from ..errors import WeightsMissing
from ..models.tiny_tokenizer import TinyTokenizer
from ..safe_pickle import torch_load
from .clip_data import ScenePool, sample_batch
from .words import TEMPLATE, caption_design, vocabulary
from .scene import check_style, style_key_fields
from .world import WORLD_VERSION, default_cache_dir

# 2: captions of issue 10 (every class but the controls names a scene); 3: the name also captions its bare
# texture, the controls' synonyms are loose words, captions also open with "an image of" (SYNTHETIC-WORLD.md §1)
TINY_CLIP_VERSION = 3
FORMAT = "wsss-tiny-clip"


def model_config(vocab_size: int, input_size: int = 64, context_length: int = 16, embed_dim: int = 64) -> dict:
    return {
        "embed_dim": embed_dim,
        "vision_cfg": {"layers": [1, 1, 1, 1], "width": 16, "head_width": 32, "image_size": input_size},
        "text_cfg": {
            "context_length": context_length,
            "vocab_size": vocab_size,
            "width": 64,
            "heads": 4,
            "layers": 2,
            "mlp_ratio": 2.0,
        },
    }


def build_model(cfg: dict) -> open_clip.CLIP:
    return open_clip.CLIP(
        embed_dim=cfg["embed_dim"], vision_cfg=dict(cfg["vision_cfg"]), text_cfg=dict(cfg["text_cfg"])
    )


def normalise(images: torch.Tensor, mean, std) -> torch.Tensor:
    m = torch.as_tensor(mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
    return (images - m) / s


@dataclass
class TinyClipParams:
    seed: int = 0
    input_size: int = 64
    pool_size: int = 3000
    steps: int = 250
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    gt_scene_rate: float = 0.5
    style: str = "classic"  # the world style of its training scenes (scene.STYLES, docs/SYNTHETIC-WORLD.md §3)

    def __post_init__(self):
        check_style(self.style, "tiny CLIP style")

    def key(self) -> str:
        blob = json.dumps(
            {
                "version": TINY_CLIP_VERSION,
                "world_version": WORLD_VERSION,
                "captions": caption_design(),
                **style_key_fields(asdict(self)),
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def contrastive_loss(img: torch.Tensor, txt: torch.Tensor, tokens: torch.Tensor, scale: torch.Tensor):
    """Symmetric InfoNCE; identical captions in a batch are all positives (multi-positive targets)."""
    logits = scale * img @ txt.t()
    same = (tokens[:, None, :] == tokens[None, :, :]).all(-1).float()
    target = same / same.sum(1, keepdim=True)
    loss_i = -(target * F.log_softmax(logits, 1)).sum(1).mean()
    loss_t = -(target * F.log_softmax(logits.t(), 1)).sum(1).mean()
    return (loss_i + loss_t) / 2


def train_tiny_clip(params: TinyClipParams, progress=None, check_cancelled=None, metrics=None, log=None) -> dict:
    """Train from scratch; returns the checkpoint dict (without the evaluation report)."""
    torch.manual_seed(params.seed)
    rng = np.random.default_rng([params.seed, 17])
    g = torch.Generator().manual_seed(params.seed)
    t0 = time.time()
    pool = ScenePool(params.pool_size, params.input_size, params.seed, style=params.style)
    mean, std = pool.channel_stats()
    if log:
        log(f"tiny CLIP: {len(pool)} training scenes in {time.time() - t0:.1f}s")
    tok = TinyTokenizer(vocabulary())
    cfg = model_config(len(tok.vocab), params.input_size, tok.context_length)
    model = build_model(cfg)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": params.weight_decay}, {"params": rest, "weight_decay": 0.0}], lr=params.lr
    )
    warm = max(1, params.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(s, params.steps) / params.steps))
    )
    model.train()
    for step in range(params.steps):
        if check_cancelled:
            check_cancelled()
        images, captions = sample_batch(pool, params.batch, rng, g, params.gt_scene_rate)
        tokens = tok(captions)
        img = model.encode_image(normalise(images, mean, std), normalize=True)
        txt = model.encode_text(tokens, normalize=True)
        loss = contrastive_loss(img, txt, tokens, model.logit_scale.exp().clamp(max=100))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if metrics and (step % 20 == 0 or step == params.steps - 1):
            metrics(step, loss=loss.item(), logit_scale=model.logit_scale.exp().item())
        if progress:
            progress(step + 1, params.steps, f"loss {loss.item():.3f}")
    model.eval()
    return {
        "format": FORMAT,
        "version": TINY_CLIP_VERSION,
        "key": params.key(),
        "params": asdict(params),
        "model_cfg": cfg,
        "state_dict": model.state_dict(),
        "mean": mean,
        "std": std,
        "input_size": params.input_size,
        "vocab": tok.vocab,
        "context_length": tok.context_length,
        "template": TEMPLATE,
        "captions": caption_design(),
        "train_seconds": round(time.time() - t0, 1),
    }


class LoadedTinyClip:
    """A loaded checkpoint: ``model`` (eval), ``tokenizer``, ``mean``/``std``, ``input_size``, ``meta``."""

    def __init__(self, ckpt: dict, device="cpu"):
        self.model = build_model(ckpt["model_cfg"])
        self.model.load_state_dict(ckpt["state_dict"])
        self.model.to(device).eval()
        self.tokenizer = TinyTokenizer.from_checkpoint(ckpt)
        assert self.tokenizer.vocab == ckpt["vocab"], "tokenizer vocabulary mismatch"
        self.mean, self.std, self.input_size = ckpt["mean"], ckpt["std"], ckpt["input_size"]
        self.template = ckpt.get("template", TEMPLATE)
        self.meta = {k: v for k, v in ckpt.items() if k != "state_dict"}

    @torch.no_grad()
    def text_features(self, words: list[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        tokens = self.tokenizer([self.template.format(w) for w in words]).to(device)
        return self.model.encode_text(tokens, normalize=True)

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        """Raw [0, 1] images (B,3,H,W), already masked; resized to input_size, normalised, encoded."""
        if images.shape[-1] != self.input_size or images.shape[-2] != self.input_size:
            images = F.interpolate(
                images, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False
            )
        return self.model.encode_image(normalise(images, self.mean, self.std), normalize=True)


def load_tiny_clip(path: str | os.PathLike, device="cpu") -> LoadedTinyClip:
    ckpt = torch_load(path, WeightsMissing, "tiny CLIP checkpoint", "retrain it (python -m wsss_engine demo)")
    if ckpt.get("format") != FORMAT:
        raise ValueError(f"{path} is not a tiny CLIP checkpoint (format {ckpt.get('format')!r})")
    return LoadedTinyClip(ckpt, device)


def tiny_clip_path(params: TinyClipParams, cache_dir=None) -> Path:
    return default_cache_dir(cache_dir) / "synthetic" / f"tiny-clip-{params.key()}.pt"
