"""IRN: a frozen backbone with a class-boundary (edge) branch and a displacement branch (METHOD §4.2;
IRN `net/resnet50_irn.py`, learned from, not copied).

The backbone's stage outputs ("taps") feed both branches; only the branches train (the backbone is frozen and in
eval mode, its features detached). Every branch layer is a 1×1 conv + GroupNorm + ReLU, as in IRN:
- edge: each tap -> 32 channels at stride 4 (taps finer than stride 4 are average-pooled down, coarser ones
  upsampled bilinearly), concatenated -> 1×1 conv with bias -> one boundary logit per stride-4 cell;
- displacement: taps at stride <= 4 -> 64 / 128 channels; coarser taps -> 256 at stride 8, fused and upsampled
  to stride 4; all concatenated -> 256 -> 2 (dy, dx). IRN's displacement mean shift matters only for instance
  segmentation and is not kept.
Backbones: ResNet-50 OS16 (models/resnet.py; taps stem/layer1..4 at strides 4,4,8,16,16) and the small CNN of the
synthetic world (models/small_cnn.py; its four stages at strides 1,2,4,4).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models.backbones import build_backbone
from ..models.resnet import ResNet50Backbone


def backbone_taps(backbone: nn.Module) -> list[tuple[nn.Module, int, int]]:
    """(module, out channels, stride) of each stage, applied in sequence."""
    if isinstance(backbone, ResNet50Backbone):
        stem = nn.Sequential(backbone.conv1, backbone.bn1, backbone.relu, backbone.maxpool)
        return [
            (stem, 64, 4),
            (backbone.layer1, 256, 4),
            (backbone.layer2, 512, 8),
            (backbone.layer3, 1024, 16),
            (backbone.layer4, 2048, 16),
        ]
    if hasattr(backbone, "stages"):  # SmallCnnBackbone
        channels = [s[-1][0].out_channels for s in backbone.stages]
        return list(zip(backbone.stages, channels, (1, 2, 4, 4)))
    raise ValueError(f"IRN does not know the stages of {type(backbone).__name__}")


GROUPS = {32: 4, 64: 8, 128: 16, 256: 16}  # IRN's GroupNorm groups per width


def _proj(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.GroupNorm(GROUPS[cout], cout))


def _to_grid(x: torch.Tensor, stride: int, target: int, size: tuple[int, int]) -> torch.Tensor:
    if stride < target:
        x = F.avg_pool2d(x, target // stride, ceil_mode=True)
    if x.shape[-2:] != size:
        x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    return x


class IrnNet(nn.Module):
    """forward(x: N×3×H×W) -> (edge logits N×1×h4×w4, displacement N×2×h4×w4), h4 = the stride-4 grid."""

    arch = "irn"

    def __init__(self, backbone: dict):
        super().__init__()
        self.backbone_options = dict(backbone)
        self.backbone = build_backbone(backbone["name"], **{k: v for k, v in backbone.items() if k != "name"})
        self.backbone.requires_grad_(False)
        self.taps = backbone_taps(self.backbone)
        strides = [s for _, _, s in self.taps]
        self.edge = nn.ModuleList([_proj(c, 32) for _, c, _ in self.taps])
        self.edge_out = nn.Conv2d(32 * len(self.taps), 1, 1, bias=True)
        shallow = [i for i, s in enumerate(strides) if s <= 4]
        self.deep = [i for i, s in enumerate(strides) if s > 4]
        self.shallow = shallow
        self.dp_shallow = nn.ModuleList([_proj(self.taps[i][1], 64 if n == 0 else 128) for n, i in enumerate(shallow)])
        self.dp_deep = nn.ModuleList([_proj(self.taps[i][1], 256) for i in self.deep])
        self.dp_fuse = _proj(256 * len(self.deep), 256) if self.deep else None
        fused = 64 + 128 * (len(shallow) - 1) + (256 if self.deep else 0)
        self.dp_out = nn.Sequential(_proj(fused, 256), nn.ReLU(inplace=True), nn.Conv2d(256, 2, 1, bias=False))

    def meta(self) -> dict:
        return {
            "arch": self.arch,
            "backbone": {**self.backbone_options, "pretrained": None, "grad_checkpointing": False},
        }

    def train(self, mode: bool = True) -> "IrnNet":
        super().train(mode)
        self.backbone.eval()  # frozen: BN statistics never move (METHOD §4.2)
        return self

    def branch_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(edge-branch params, displacement-branch params): lr 1x and 10x (METHOD §4.2)."""
        edge = [*self.edge.parameters(), *self.edge_out.parameters()]
        dp = [*self.dp_shallow.parameters(), *self.dp_deep.parameters(), *self.dp_out.parameters()]
        if self.dp_fuse is not None:
            dp += list(self.dp_fuse.parameters())
        return edge, dp

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        with torch.no_grad():
            for module, _, _ in self.taps:
                x = module(x)
                feats.append(x.detach())
        return feats

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.features(x)
        strides = [s for _, _, s in self.taps]
        size4 = next(f.shape[-2:] for f, s in zip(feats, strides) if s == 4)
        edges = [F.relu(_to_grid(proj(f), s, 4, size4)) for proj, f, s in zip(self.edge, feats, strides)]
        edge = self.edge_out(torch.cat(edges, 1))
        low = [F.relu(_to_grid(proj(feats[i]), strides[i], 4, size4)) for proj, i in zip(self.dp_shallow, self.shallow)]
        if self.deep:
            size8 = (
                next(f.shape[-2:] for f, s in zip(feats, strides) if s == 8)
                if 8 in strides
                else tuple((n + 1) // 2 for n in size4)
            )
            deep = [F.relu(_to_grid(proj(feats[i]), strides[i], 8, size8)) for proj, i in zip(self.dp_deep, self.deep)]
            low.append(F.relu(_to_grid(self.dp_fuse(torch.cat(deep, 1)), 8, 4, size4)))
        return edge, self.dp_out(torch.cat(low, 1))

    @torch.no_grad()
    def edge_map(self, image: torch.Tensor) -> torch.Tensor:
        """METHOD §4.3: image 3×H×W -> boundary probabilities ceil(H/4)×ceil(W/4), averaged with the flip.
        The pair is zero-padded (= mean colour) to a multiple of 16 (IRN pads to 512)."""
        h, w = image.shape[-2:]
        pad_h, pad_w = -h % 16, -w % 16
        pair = F.pad(torch.stack([image, image.flip(-1)]), (0, pad_w, 0, pad_h))
        logits, _ = self(pair)
        logits = logits[:, 0, : (h + 3) // 4, : (w + 3) // 4]
        return torch.sigmoid(logits[0] / 2 + logits[1].flip(-1) / 2)


def build_irn(backbone: dict, backbone_state: dict | None = None) -> IrnNet:
    """An IRN over `backbone` (build_backbone options); backbone_state: weights for it (e.g. a CAM network's)."""
    model = IrnNet(backbone)
    if backbone_state is not None:
        model.backbone.load_state_dict(backbone_state, strict=True)
    return model


def load_irn(path, device: torch.device | str = "cpu") -> IrnNet:
    """A trained IRN from a train_irn checkpoint (eval mode)."""
    from ..errors import RunFolderError
    from ..models.loading import read_checkpoint

    ckpt = read_checkpoint(path)
    if ckpt["model_meta"].get("arch") != "irn" or not ckpt.get("complete", True):
        raise RunFolderError(
            f"{path} is not a completed train_irn checkpoint",
            hint="point 'irn' at a train_irn stage (resume the run so it completes)",
            path=str(path),
        )
    model = IrnNet(ckpt["model_meta"]["backbone"])
    model.load_state_dict(ckpt["model"], strict=True)
    return model.to(device).eval()
