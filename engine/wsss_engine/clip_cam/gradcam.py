"""Grad-CAM on a frozen CLIP image tower, scored against text prompts with a softmax (CLIP-ES, docs/METHOD.md §10.1).

The score of class k for an image is softmax_j(s · cos(f(x), t_j))[k] over the prompts t_j of the foreground
classes and the background words; its gradient with respect to the activations A of one tower layer weighs
their channels (Grad-CAM: w_c = mean over positions of ∂score/∂A_c), and the CAM is ReLU(Σ_c w_c A_c),
min-max normalised. The softmax makes the other classes' and the background words' prompts compete, so a
region that matches "water" better than "boat" stops counting for boat.

Towers (open_clip): a ModifiedResNet (the synthetic world's tiny CLIP, OpenAI's RN50...) takes the activations
of one residual stage (`layer4` by default, Grad-CAM's usual last conv layer); a VisionTransformer takes the
patch tokens entering the last block's first LayerNorm output (CLIP-ES's target layer `resblocks[-1].ln_1`),
and its image embedding is the mean of the patch tokens after ln_post (CLIP-ES, not the class token). Both run
at any image size: the attention pool's / the patch grid's positional embedding is interpolated bicubically.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from open_clip.modified_resnet import ModifiedResNet
from open_clip.transformer import VisionTransformer

from ..errors import ConfigInvalid

RESNET_LAYERS = ("layer1", "layer2", "layer3", "layer4")


@dataclass
class TowerPass:
    """One forward pass: the image embeddings (N×D, in the graph of `activations`), the Grad-CAM layer's
    activations (N×C×h×w, or a ViT's N×(1+h·w)×C tokens with `grid` = (h, w)) and, for ViTs, the head-averaged
    patch-to-patch attention of the kept blocks (N×hw×hw each)."""

    embedding: torch.Tensor
    activations: torch.Tensor
    attentions: list[torch.Tensor]
    grid: tuple[int, int] | None = None

    def maps(self, t: torch.Tensor) -> torch.Tensor:
        """Activations (or their gradients) as N×C×h×w maps."""
        if self.grid is None:
            return t
        return t[:, 1:].transpose(1, 2).reshape(t.shape[0], -1, *self.grid)


def tower_kind(visual: torch.nn.Module) -> str:
    if isinstance(visual, ModifiedResNet):
        return "resnet"
    if isinstance(visual, VisionTransformer):
        return "vit"
    raise ConfigInvalid(
        f"training-free CAMs support open_clip ResNet and ViT image towers, not {type(visual).__name__}",
        hint="use an open_clip CLIP such as ViT-B-16 (openai) or RN50, or the synthetic world's tiny CLIP",
    )


def stride(visual: torch.nn.Module) -> int:
    """Pixels per cell of the grid the CAM comes out on (the input size should be a multiple of it)."""
    if tower_kind(visual) == "vit":
        patch = visual.conv1.kernel_size
        return int(patch[0] if isinstance(patch, tuple) else patch)
    return 32


def _resize_grid(pos: torch.Tensor, old: tuple[int, int], new: tuple[int, int]) -> torch.Tensor:
    """(1 + h·w)×C positional embedding (leading token first) -> the same for a new grid, bicubic."""
    if old == new:
        return pos
    grid = pos[1:].reshape(1, old[0], old[1], -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid.float(), size=new, mode="bicubic", align_corners=False).to(pos.dtype)
    return torch.cat([pos[:1], grid.permute(0, 2, 3, 1).reshape(new[0] * new[1], -1)])


def _attnpool(pool: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """open_clip's AttentionPool2d on an N×C×h×w map of any size (its positional embedding interpolated)."""
    n, c, h, w = x.shape
    side = int(round((pool.positional_embedding.shape[0] - 1) ** 0.5))
    pos = _resize_grid(pool.positional_embedding, (side, side), (h, w))
    x = x.reshape(n, c, h * w).permute(2, 0, 1)
    x = torch.cat([x.mean(dim=0, keepdim=True), x]) + pos[:, None, :].to(x.dtype)
    out, _ = F.multi_head_attention_forward(
        query=x[:1],
        key=x,
        value=x,
        embed_dim_to_check=c,
        num_heads=pool.num_heads,
        q_proj_weight=pool.q_proj.weight,
        k_proj_weight=pool.k_proj.weight,
        v_proj_weight=pool.v_proj.weight,
        in_proj_weight=None,
        in_proj_bias=torch.cat([pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias]),
        bias_k=None,
        bias_v=None,
        add_zero_attn=False,
        dropout_p=0.0,
        out_proj_weight=pool.c_proj.weight,
        out_proj_bias=pool.c_proj.bias,
        use_separate_proj_weight=True,
        training=False,
        need_weights=False,
    )
    return out[0]


def resnet_pass(visual: ModifiedResNet, images: torch.Tensor, layer: str = "layer4") -> TowerPass:
    if layer not in RESNET_LAYERS:
        raise ConfigInvalid(f"unknown ResNet Grad-CAM layer {layer!r}", hint=f"use one of {RESNET_LAYERS}")
    x = visual.stem(images)
    acts = None
    for name in RESNET_LAYERS:
        x = getattr(visual, name)(x)
        if name == layer:
            acts = x if x.requires_grad else x.requires_grad_(True)
    return TowerPass(_attnpool(visual.attnpool, x), acts, [])


def _block_attention(block, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One open_clip ResidualAttentionBlock (batch-first), also returning its head-averaged attention and its
    ln_1 output (CLIP-ES's Grad-CAM layer)."""
    normed = block.ln_1(x)
    out, weights = block.attn(normed, normed, normed, need_weights=True, average_attn_weights=True)
    x = x + block.ls_1(out)
    x = x + block.ls_2(block.mlp(block.ln_2(x)))
    return x, weights, normed


def vit_pass(visual: VisionTransformer, images: torch.Tensor, attention_layers: int = 8) -> TowerPass:
    """Patch tokens through the blocks; the blocks before the last run without gradients (as CLIP-ES: the
    Grad-CAM layer is the last block's ln_1 output), attentions of the last `attention_layers` blocks kept."""
    if not getattr(visual.transformer, "batch_first", True):
        raise ConfigInvalid("this open_clip build runs its ViT sequence-first", hint="use open_clip >= 2.24")
    n, _, height, width = images.shape
    ps = stride(visual)
    grid = (height // ps, width // ps)
    side = int(round((visual.positional_embedding.shape[0] - 1) ** 0.5))
    blocks = list(visual.transformer.resblocks)
    keep_from = len(blocks) - max(1, attention_layers)
    attentions: list[torch.Tensor] = []
    with torch.no_grad():
        x = visual.conv1(images).flatten(2).transpose(1, 2)
        cls = visual.class_embedding.to(x.dtype).expand(n, 1, -1)
        x = torch.cat([cls, x], dim=1) + _resize_grid(visual.positional_embedding, (side, side), grid).to(x.dtype)
        x = visual.ln_pre(x)
        for i, block in enumerate(blocks[:-1]):
            x, weights, _ = _block_attention(block, x)
            if i >= keep_from:
                attentions.append(weights[:, 1:, 1:])
    x, weights, normed = _block_attention(blocks[-1], x.detach().requires_grad_(True))
    attentions.append(weights[:, 1:, 1:].detach())
    tokens = visual.ln_post(x[:, 1:]).mean(dim=1)
    embedding = tokens @ visual.proj if visual.proj is not None else tokens
    return TowerPass(embedding, normed, attentions, grid)


def tower_pass(visual: torch.nn.Module, images: torch.Tensor, layer: str = "layer4", attention_layers: int = 8):
    if tower_kind(visual) == "vit":
        return vit_pass(visual, images, attention_layers)
    return resnet_pass(visual, images, layer)


def class_probabilities(embedding: torch.Tensor, texts: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """N×T softmax over the prompts of s · cosine (CLIP's own temperature s = exp(logit_scale))."""
    img = F.normalize(embedding.float(), dim=-1)
    return (logit_scale.exp().float() * img @ F.normalize(texts.float(), dim=-1).t()).softmax(dim=-1)


def grad_cams(tower: TowerPass, probs: torch.Tensor, targets: list[int], image: int = 0) -> torch.Tensor:
    """K×h×w Grad-CAMs of one image of the pass, one per target prompt index, each min-max normalised."""
    acts = tower.maps(tower.activations.detach())[image].float()
    cams = []
    for k in targets:
        (grads,) = torch.autograd.grad(probs[image, k], tower.activations, retain_graph=True)
        weights = tower.maps(grads)[image].float().mean(dim=(1, 2))
        cams.append(min_max(F.relu((weights[:, None, None] * acts).sum(0))))
    return torch.stack(cams) if cams else acts.new_zeros((0, *acts.shape[-2:]))


def min_max(cam: torch.Tensor) -> torch.Tensor:
    cam = cam - cam.min()
    return cam / (cam.max() + 1e-7)
