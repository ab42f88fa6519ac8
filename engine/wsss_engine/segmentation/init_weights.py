"""Initial weights of the segmenter (METHOD §5): which file formats map onto our modules, and how.

- "torchvision": an ImageNet ResNet-101 in torchvision's format (a weights name such as "IMAGENET1K_V1",
  fetched into the torch hub cache, or a local .pth): keys `conv1.weight`, `layer3.7.bn2.running_mean`, ...;
  `fc.*` is dropped; the ASPP starts from N(0, 0.01).
- "deeplab_coco": deeplab-pytorch's converted caffemodel `deeplabv1_resnet101-coco.pth` (METHOD §5, the Table-3
  init), MSRA-ResNet names: `layer1.conv1.{conv,bn}` (stem), `layer{2..5}.block{k}.{reduce,conv3x3,increase,
  shortcut}.{conv,bn}.*` (= torchvision's layer{1..4}.{k-1}.{conv1,conv2,conv3,downsample}), `fc.*` (its 91
  COCO classes, skipped as the reference's strict=False load does). A trained `DeepLabV2_ResNet101_MSC` file
  (`base.` prefix, `aspp.c{i}`) maps too; its ASPP is kept when its class count matches.
- "torchvision_deeplabv3": a torchvision deeplabv3_resnet101 state dict (arch deeplabv3_resnet101); the last
  classifier conv is skipped when its class count differs, `aux_classifier.*` is dropped. That arch also
  starts from a "torchvision" ResNet-101 (its backbone; the classifier then starts from torchvision's init).
Keys that none of these rules know raise ConfigInvalid naming a few of them and the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from torch import nn

from ..errors import ConfigInvalid, WeightsMissing
from ..models.resnet import load_imagenet_state_dict
from ..models.weights import local_file
from ..safe_pickle import torch_load

FORMATS = ("auto", "torchvision", "deeplab_coco", "torchvision_deeplabv3")
_BRANCH = {"reduce": "1", "conv3x3": "2", "increase": "3"}
_DEEPLAB_KEY = re.compile(r"^layer([2-5])\.block(\d+)\.(reduce|conv3x3|increase|shortcut)\.(conv|bn)\.(\w+)$")
_TORCHVISION_KEY = re.compile(r"^(conv1|bn1|layer[1-4])\.")


def _unknown(path, keys: list[str], fmt: str) -> ConfigInvalid:
    return ConfigInvalid(
        f"init file {path} has {len(keys)} key(s) that do not fit a {fmt} file, e.g. {keys[:4]}",
        hint="use a torchvision-format ResNet-101 .pth or deeplab-pytorch's "
        "deeplabv1_resnet101-coco.pth, and set init_format to match",
        path=str(path),
    )


def deeplab_key(key: str) -> str | None:
    """Our DeepLabV2 name of one deeplab-pytorch key ('' = skipped on purpose, None = unknown)."""
    key = key.removeprefix("base.")
    if key.startswith("layer1.conv1."):
        part, rest = key.split(".")[2], key.split(".", 3)[3]
        return f"backbone.{'conv1' if part == 'conv' else 'bn1'}.{rest}"
    if key.startswith("fc."):
        return ""
    match = re.match(r"^aspp\.c(\d+)\.(weight|bias)$", key)
    if match:
        return f"aspp.branches.{match[1]}.{match[2]}"
    match = _DEEPLAB_KEY.match(key)
    if not match:
        return None
    layer, block, branch, kind, rest = match.groups()
    prefix = f"backbone.layer{int(layer) - 1}.{int(block) - 1}"
    if branch == "shortcut":
        return f"{prefix}.downsample.{0 if kind == 'conv' else 1}.{rest}"
    return f"{prefix}.{'conv' if kind == 'conv' else 'bn'}{_BRANCH[branch]}.{rest}"


def map_deeplab_coco(state: dict, path="<state dict>") -> dict:
    mapped = {k: deeplab_key(k) for k in state}
    unknown = [k for k, v in mapped.items() if v is None]
    if unknown:
        raise _unknown(path, unknown, "deeplab-pytorch DeepLabV1/V2 ResNet-101")
    return {v: state[k] for k, v in mapped.items() if v}


def map_torchvision_resnet(state: dict, path="<state dict>", prefix: str = "backbone.") -> dict:
    unknown = [k for k in state if not (_TORCHVISION_KEY.match(k) or k.startswith("fc."))]
    if unknown:
        raise _unknown(path, unknown, "torchvision ResNet")
    return {f"{prefix}{k}": v for k, v in state.items() if not k.startswith("fc.")}


def map_torchvision_deeplabv3(state: dict, path="<state dict>") -> dict:
    unknown = [k for k in state if not k.startswith(("backbone.", "classifier.", "aux_classifier."))]
    if unknown:
        raise _unknown(path, unknown, "torchvision deeplabv3_resnet101")
    return {f"net.{k}": v for k, v in state.items() if not k.startswith("aux_classifier.")}


def detect_format(state: dict) -> str:
    keys = [k.removeprefix("base.") for k in state]
    if any(".block1.reduce." in k for k in keys):
        return "deeplab_coco"
    if any(k.startswith("classifier.") for k in keys):
        return "torchvision_deeplabv3"
    return "torchvision"


def read_init(init: str, arch: str) -> tuple[dict, Path | str]:
    """The raw state dict named by `init` (a torchvision ResNet-101 weights name or a .pth path)."""
    looks_like_path = init.endswith((".pth", ".pt")) or "/" in init or "\\" in init
    if arch in ("deeplabv2_resnet101", "deeplabv3_resnet101") and not looks_like_path:
        return load_imagenet_state_dict(init, arch="resnet101"), init
    path = local_file(
        init,
        "segmenter init weights",
        hint="point init at a torchvision-format ResNet-101 .pth, deeplab-pytorch's "
        "deeplabv1_resnet101-coco.pth (see kazuto1011/deeplab-pytorch: setup_caffemodels.sh "
        "+ convert.py), or set it to null for random init",
    )
    state = torch_load(
        path,
        WeightsMissing,
        "segmenter init weights",
        "use a state dict saved with torch.save(model.state_dict(), path)",
    )
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ConfigInvalid(
            f"init file {path} does not hold a state dict",
            hint="save it with torch.save(model.state_dict(), path)",
            path=str(path),
        )
    return state, path


def resolve_format(state: dict, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigInvalid(f"unknown init_format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    return detect_format(state) if fmt == "auto" else fmt


def load_init(base: nn.Module, state: dict, fmt: str, path="<state dict>") -> dict:
    """Load `state` (format `fmt`, already resolved) into `base` (a DeepLabV2 / TorchvisionDeepLabV3).

    Head tensors whose shape differs (another class count) are skipped; any other missing or extra tensor
    is an error. Returns {"loaded": n, "skipped_head": [...]}.
    """
    if fmt == "torchvision" and hasattr(base, "net"):  # DeepLabV3 from an ImageNet ResNet-101
        mapped = map_torchvision_resnet(state, path, prefix="net.backbone.")
    else:
        mapper = {
            "deeplab_coco": map_deeplab_coco,
            "torchvision": map_torchvision_resnet,
            "torchvision_deeplabv3": map_torchvision_deeplabv3,
        }[fmt]
        mapped = mapper(state, path)
    own = base.state_dict()
    head = ("aspp.", "net.classifier.")
    skipped = [k for k, v in mapped.items() if k.startswith(head) and k in own and own[k].shape != v.shape]
    mapped = {k: v for k, v in mapped.items() if k not in skipped}
    extra = [k for k in mapped if k not in own]
    if extra:
        raise _unknown(path, extra, f"{type(base).__name__} ({fmt})")
    missing = [k for k in own if k not in mapped and not k.startswith(head) and not k.endswith("num_batches_tracked")]
    if missing:
        raise ConfigInvalid(
            f"init file {path} lacks {len(missing)} tensor(s) of the {type(base).__name__} "
            f"backbone, e.g. {missing[:4]}",
            hint="is it a ResNet-101 (not ResNet-50) file of the format init_format says?",
            path=str(path),
        )
    try:
        base.load_state_dict(mapped, strict=False)
    except RuntimeError as exc:
        raise ConfigInvalid(
            f"init file {path} does not fit the network: {str(exc).splitlines()[0][:300]}",
            hint="check that it is a ResNet-101 file of the expected format",
            path=str(path),
        ) from exc
    return {"loaded": len(mapped), "skipped_head": skipped}
