"""The config's `numerics` preset: which precision each part runs in unless a stage says otherwise (issue 9 item 6).

- "reference" (default): what the CLIMS / POLE code runs. The ResNet trains in fp32 (no autocast), CLIP runs in
  fp16 on CUDA (clip.load's weights, METHOD §1.3; `clip.precision`), CAM inference is fp32 (METHOD §3.1).
- "fast": bf16 autocast for training (ResNet and the CLIP calls inside it) and fp16 autocast for CAM inference,
  about twice the throughput on recent GPUs; what it costs in CAM mIoU is measured by
  engine/benchmarks/bench_numerics.py (docs/BENCHMARKS.md).
A stage's own `amp` param wins over the preset.
"""

from __future__ import annotations

PRESETS = {"reference": {"train_amp": "off", "infer_amp": False}, "fast": {"train_amp": "bf16", "infer_amp": True}}


def numerics(config: dict) -> dict:
    """{"train_amp": LoopConfig.amp, "infer_amp": bool} of the config's preset."""
    name = config.get("numerics") or "reference"
    if name not in PRESETS:
        from ..errors import ConfigInvalid

        raise ConfigInvalid(f"unknown numerics preset {name!r}", hint=f"use one of {', '.join(PRESETS)}")
    return PRESETS[name]
