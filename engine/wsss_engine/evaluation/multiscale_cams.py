"""Multi-scale + flip CAM inference, batched (METHOD §3.1; CLIMS `step/make_clims.py`, IRN `make_cam.py`).

Per image and scale s, the model sees [x_s, flip(x_s)] and the map is ReLU(W·Z)(x_s) + flip(ReLU(W·Z)(flip x_s)).
Two outputs per image, summed over scales, GT classes only (keys), each divided by its spatial max + 1e-5:
- `cam`: every scale's map resized (bilinear, align_corners=False) to ceil(H/4)×ceil(W/4);
- `high_res`: every scale's map resized to ceil(H/stride)·stride × ceil(W/stride)·stride, then cropped to H×W.

Batching: the flip pair of a scale is one batch of 2; across the images of a chunk, all packs with the same
spatial size (same scale of same-sized images: common in VOC, universal in the synthetic world) go through
the network together, up to `max_pairs` pairs per forward.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

NORM_EPS = 1e-5


def strided_size(size: Tuple[int, int], stride: int) -> Tuple[int, int]:
    return (size[0] - 1) // stride + 1, (size[1] - 1) // stride + 1


def strided_up_size(size: Tuple[int, int], stride: int) -> Tuple[int, int]:
    h, w = strided_size(size, stride)
    return h * stride, w * stride


def model_stride(model: torch.nn.Module) -> int:
    """The CAM model's output stride (16 for R50 OS16, 4 for the synthetic small CNN); 16 if unstated."""
    return int(getattr(model, "output_stride", 16))


def _autocast(device: torch.device, amp: bool):
    if amp and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return nullcontext()


def flip_summed_maps(model: torch.nn.Module, packs: torch.Tensor, amp: bool = False) -> torch.Tensor:
    """packs: (2k)×3×h×w as [x0, flip x0, x1, flip x1, ...] -> k×C×h'×w' float32 flip-summed ReLU CAMs."""
    with _autocast(packs.device, amp):
        out = model.cam_forward(packs)
    out = out.float()
    out = out.reshape(-1, 2, *out.shape[1:])  # reshape: the output may be channels_last
    return out[:, 0] + out[:, 1].flip(-1)


def _normalise(maps: torch.Tensor) -> torch.Tensor:
    """Per-class max normalisation (METHOD §3.1): each map divided by its own max + 1e-5."""
    if maps.shape[0] == 0:
        return maps
    return maps / (maps.amax(dim=(1, 2), keepdim=True) + NORM_EPS)


@torch.no_grad()
def infer_multiscale(
    model: torch.nn.Module, items: Sequence[dict], device: torch.device, *, max_pairs: int = 8, amp: bool = False
) -> List[Dict[str, torch.Tensor]]:
    """Items from VOCMultiScaleDataset -> per item {"keys", "cam", "high_res"} (float32, CPU).

    max_pairs: how many flip pairs go through the network at once; 1 = one pack at a time (no batching).
    """
    stride = model_stride(model)
    keys = [torch.nonzero(item["label"] > 0.5).flatten() for item in items]
    sizes = [tuple(int(v) for v in item["size"]) for item in items]
    strided = [torch.zeros(len(k), *strided_size(s, 4), device=device) for k, s in zip(keys, sizes)]
    high = [torch.zeros(len(k), *strided_up_size(s, stride), device=device) for k, s in zip(keys, sizes)]

    groups: Dict[Tuple[int, int], List[Tuple[int, torch.Tensor]]] = defaultdict(list)
    for i, item in enumerate(items):
        for pack in item["images"]:
            groups[tuple(pack.shape[-2:])].append((i, pack))

    for members in groups.values():
        for start in range(0, len(members), max_pairs):
            chunk = members[start : start + max_pairs]
            batch = torch.cat([pack for _, pack in chunk]).to(device, non_blocking=True)
            maps = flip_summed_maps(model, batch, amp)
            for (i, _), fmap in zip(chunk, maps):
                selected = fmap[keys[i].to(device)].unsqueeze(0)
                if selected.shape[1] == 0:
                    continue
                strided[i] += F.interpolate(selected, strided[i].shape[-2:], mode="bilinear", align_corners=False)[0]
                high[i] += F.interpolate(selected, high[i].shape[-2:], mode="bilinear", align_corners=False)[0]

    results = []
    for i, (h, w) in enumerate(sizes):
        results.append(
            {"keys": keys[i], "cam": _normalise(strided[i]).cpu(), "high_res": _normalise(high[i][:, :h, :w]).cpu()}
        )
    return results
