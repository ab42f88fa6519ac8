"""CLIMS/POLE training-step speed and memory: the optimised path vs the reference configuration.

- optimised: all masked images of a step in ONE batched CLIP call, CLIP in half precision on CUDA, AMP
  (bf16 autocast; fp16 + GradScaler with --amp fp16), channels_last, optional torch.compile of the CAM net.
- reference: fp32, eager, CLIP fp32 and called once per masked image (the slowest faithful configuration).
- reference3 (--with-reference3): fp32, the three batched CLIP calls of CLIMS train_clims.py (fg, bg, fg again).
Both train the same network (ClimsNet + learnable adaptors, loss preset "improved", reference masking) on
the same random batch; one step = forward, losses, backward, SGD step. Printed: images/s, ms/step, peak
memory (CUDA: max_memory_allocated; CPU: process max RSS, monotone over the run) and the ratios.

    .venv/bin/python engine/benchmarks/bench_train_step.py                       # CPU, small sizes
    .venv/bin/python engine/benchmarks/bench_train_step.py --devices cuda --backbone resnet50 --crop 512 \
        --batch 16 --clip ViT-B-32                                                # the real sizes
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsss_engine.losses.clims import loss_config  # noqa: E402
from wsss_engine.models.adaptors import ClipAdaptors  # noqa: E402
from wsss_engine.models.clims_net import ClimsNet  # noqa: E402
from wsss_engine.models.clip_model import ClipScorer  # noqa: E402
from wsss_engine.training.clims_objective import ClimsObjective  # noqa: E402
from wsss_engine.training.loop import autocast, resolve_amp  # noqa: E402

TINY_CLIP = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def build_clip(name: str, device: torch.device, precision: str) -> ClipScorer:
    if name == "tiny":
        return ClipScorer.from_model_cfg(TINY_CLIP, None, (0.48, 0.46, 0.41), (0.27, 0.26, 0.28), device, precision)
    if name == "synthetic":  # the synthetic world's tiny CLIP architecture (synthetic/tiny_clip.py), random weights
        from wsss_engine.synthetic.tiny_clip import TinyTokenizer, model_config
        from wsss_engine.synthetic.words import vocabulary

        tok = TinyTokenizer(vocabulary())
        clip = ClipScorer.from_model_cfg(
            model_config(len(tok.vocab), 64, tok.context_length),
            None,
            (0.5, 0.5, 0.5),
            (0.25, 0.25, 0.25),
            device,
            precision,
        )
        clip.tokenizer = tok
        return clip
    return ClipScorer.from_open_clip(name, None, None, device, precision)  # random weights: speed only


def random_batch(args, device: torch.device):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(args.batch, 3, args.crop, args.crop, generator=g)
    labels = torch.zeros(args.batch, args.classes)
    for n in range(args.batch):  # 1-3 classes per image, ~1.5 on average like VOC
        k = 1 + int(torch.rand(1, generator=g) < 0.35) + int(torch.rand(1, generator=g) < 0.1)
        labels[n, torch.randperm(args.classes, generator=g)[:k]] = 1
    return images.to(device), labels.to(device)


def configuration(name: str, args, device: torch.device):
    optimised = name in ("optimised", "compiled")
    torch.manual_seed(0)  # every configuration gets the same random CLIP and CAM weights: final losses comparable
    clip = build_clip(args.clip, device, "fp16" if optimised and device.type == "cuda" else "fp32")
    torch.manual_seed(1)
    backbone = {"name": args.backbone, "pretrained": None, "fixed_bn": False}
    if args.backbone == "small_cnn":
        backbone.update(width=32, out_channels=128)
    net = ClimsNet(backbone, args.classes).to(device)
    adaptors = ClipAdaptors(clip.embed_dim).to(device)
    channels_last = optimised and (device.type == "cuda" or args.cpu_channels_last)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    forward = torch.compile(net) if name == "compiled" or (optimised and args.compile) else net
    calls = {"optimised": "single", "compiled": "single", "reference": "per_image", "reference3": "reference"}[name]
    objective = ClimsObjective(
        clip,
        loss_config("improved"),
        [str(i) for i in range(args.classes)],
        [f"class {i}" for i in range(args.classes)],
        mask_mode="reference",
        clip_calls=calls,
        adaptors=adaptors,
    )
    params = [p for p in list(net.parameters()) + list(adaptors.parameters()) if p.requires_grad]
    opt = torch.optim.SGD(params, lr=1e-4, momentum=0.9)
    amp = resolve_amp(args.amp if optimised and (device.type == "cuda" or args.cpu_amp) else "off", device)
    scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")
    images, labels = random_batch(args, device)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)

    def step():
        with autocast(amp, device):
            loss, _ = objective(images, forward(images), labels)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    return step, {
        "amp": amp,
        "channels_last": channels_last,
        "clip_calls": calls,
        "clip": clip.description,
        "clip_dtype": str(clip.dtype).replace("torch.", ""),
        "compile": name == "compiled" or bool(optimised and args.compile),
        "pairs": int(labels.sum()),
    }


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(name: str, args, device: torch.device) -> dict:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    step, info = configuration(name, args, device)
    for _ in range(args.warmup):
        step()
    windows = []
    for _ in range(args.repeats):  # the median window: one slow window on a shared machine does not decide
        sync(device)
        start = time.perf_counter()
        for _ in range(args.steps):
            loss = step()
        sync(device)
        windows.append(time.perf_counter() - start)
    seconds = statistics.median(windows)
    peak = (
        torch.cuda.max_memory_allocated(device)
        if device.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    return {
        "config": name,
        "device": str(device),
        **info,
        "images_per_s": args.batch * args.steps / seconds,
        "ms_per_step": 1000 * seconds / args.steps,
        "peak_memory_mib": peak / 2**20,
        "memory_kind": "cuda max_memory_allocated" if device.type == "cuda" else "process max RSS",
        "final_loss": float(loss.detach()),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", default="cpu,cuda")
    p.add_argument(
        "--backbone",
        default=None,
        choices=["resnet50", "small_cnn"],
        help="default: resnet50 on CUDA, small_cnn on CPU",
    )
    p.add_argument("--crop", type=int, default=None, help="default: 512 on CUDA, 64 on CPU")
    p.add_argument("--batch", type=int, default=None, help="default: 16 on CUDA, 8 on CPU")
    p.add_argument(
        "--clip",
        default=None,
        help="open_clip model name (random weights), 'tiny' (a small ViT) or "
        "'synthetic' (the synthetic world's tiny CLIP architecture); "
        "default: ViT-B-32 on CUDA, tiny on CPU",
    )
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--amp", default="bf16", choices=["bf16", "fp16"])
    p.add_argument("--compile", action="store_true", help="torch.compile the CAM network (optimised path)")
    p.add_argument("--cpu-amp", action="store_true", help="also use bf16 autocast on CPU")
    p.add_argument("--cpu-channels-last", action="store_true")
    p.add_argument("--with-reference3", action="store_true", help="also time CLIMS's 3-call configuration")
    p.add_argument(
        "--with-compiled", action="store_true", help="also time the optimised path with torch.compile of the CAM net"
    )
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 10 CUDA, 3 CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3 CUDA, 1 CPU)")
    p.add_argument("--repeats", type=int, default=1, help="timed windows of --steps steps; the median is reported")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for name in args.devices.split(","):
        if name.startswith("cuda") and not torch.cuda.is_available():
            print(f"{name}: CUDA not available, skipped")
            continue
        device = torch.device(name)
        gpu = device.type == "cuda"
        dev_args = argparse.Namespace(**vars(args))
        for key, cuda_default, cpu_default in (
            ("backbone", "resnet50", "small_cnn"),
            ("crop", 512, 64),
            ("batch", 16, 8),
            ("clip", "ViT-B-32", "tiny"),
            ("steps", 10, 3),
            ("warmup", 3, 1),
        ):
            if getattr(dev_args, key) is None:
                setattr(dev_args, key, cuda_default if gpu else cpu_default)
        label = torch.cuda.get_device_name(device) if gpu else "cpu"
        print(
            f"== {label}: {dev_args.backbone} crop {dev_args.crop} batch {dev_args.batch} "
            f"CLIP {dev_args.clip}, {dev_args.steps} timed steps"
        )
        names = ["reference", "optimised"] + (["reference3"] if args.with_reference3 else [])
        names += ["compiled"] if args.with_compiled else []
        results = {n: measure(n, dev_args, device) for n in names}
        for r in results.values():
            print(
                f"  {r['config']:10} {r['images_per_s']:9.2f} img/s {r['ms_per_step']:9.1f} ms/step  "
                f"peak {r['peak_memory_mib']:9.1f} MiB ({r['memory_kind']})  amp={r['amp']} "
                f"clip={r['clip_dtype']} calls={r['clip_calls']} pairs={r['pairs']}"
            )
        ref, opt = results["reference"], results["optimised"]
        print(
            f"  speed-up optimised/reference: {opt['images_per_s'] / ref['images_per_s']:.2f}x; "
            f"peak memory optimised/reference: {opt['peak_memory_mib'] / ref['peak_memory_mib']:.2f}x"
        )
        if "compiled" in results:  # warm-up steps absorb the compilation; this is the steady state
            print(f"  compiled/optimised: {results['compiled']['images_per_s'] / opt['images_per_s']:.2f}x")
        rows += [
            {**r, "device_name": label, "backbone": dev_args.backbone, "crop": dev_args.crop, "batch": dev_args.batch}
            for r in results.values()
        ]
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
