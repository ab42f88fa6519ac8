"""`ClipScorer`: one frozen CLIP interface over open_clip models and the synthetic world's tiny CLIP.

Sources: a named open_clip model + pretrained tag (downloaded with a timeout, or found in the cache), an open_clip
model + local checkpoint file, a random-weight model (benchmarks/tests), or a tiny CLIP checkpoint
`{"model_cfg": open_clip CLIP kwargs, "state_dict", "mean", "std"}` written by synthetic/tiny_clip.py.

Activation (open_clip issue 771): OpenAI's weights were trained with QuickGELU, open_clip's plain model names build
nn.GELU. `quick_gelu_for` decides, in this order: the config's explicit `clip.quick_gelu`; a `-quickgelu` model
name; the pretrained tag's own record in open_clip (`openai` and the other QuickGELU tags); a checkpoint file in
OpenAI's own state-dict layout (it carries `input_resolution`/`context_length`/`vocab_size`). A local checkpoint
with a `pretrained` tag is read as that tag's weights (e.g. OpenAI ViT-B-32 in open_clip's layout from the Hub).

Frozen per METHOD §1.3/§7.9: eval mode and requires_grad_(False), so no .grad buffers exist for CLIP, yet
gradients still flow through the image tower back to its input (the masked images, hence the CAM head).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Sequence

import open_clip
import torch
from open_clip.model import CLIP, CustomTextCLIP
from open_clip.transform import image_transform
from torchvision import transforms as T

from ..errors import ConfigInvalid, WeightsMissing
from ..safe_pickle import torch_load
from .tiny_tokenizer import TinyTokenizer
from .weights import DOWNLOAD_TIMEOUT_S, fetch_url, host_reachable, local_file, locate_url

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
TINY_CLIP_HINT = (
    "run the synthetic world's tiny CLIP training first (python -m wsss_engine demo), or point "
    "clip.checkpoint at its .pt file"
)
# Extra entries of a state dict saved from OpenAI's own `clip` package (its JIT model's buffers).
OPENAI_MARKERS = ("input_resolution", "context_length", "vocab_size")


def without_normalize(preprocess) -> T.Compose:
    """CLIP's eval transform up to [0,1] CHW: resize, centre crop, RGB, to tensor (normalisation is `normalize`)."""
    return T.Compose([t for t in preprocess.transforms if not isinstance(t, T.Normalize)])


class ClipScorer:
    """Frozen CLIP. encode_image takes CLIP-ready N×3×S×S tensors; both encoders return raw float32 embeddings."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer,
        mean: Sequence[float],
        std: Sequence[float],
        image_size: int,
        device: torch.device | str = "cpu",
        precision: str = "fp32",
        description: str = "clip",
        preprocess=None,
    ):
        device = torch.device(device)
        # Half precision only on accelerators, as clip.load does on CUDA (METHOD §1.3); CPU stays fp32.
        self.dtype = PRECISIONS[precision] if device.type == "cuda" else torch.float32
        self.model = model.to(device=device, dtype=self.dtype).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.device = device
        self.image_size = int(image_size)
        self.mean = torch.tensor(mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=device).view(1, 3, 1, 1)
        self.description = description
        # The model's own eval preprocessing without normalisation (METHOD §2.2 step 2): PIL -> [0,1] S×S.
        self.preprocess = without_normalize(preprocess or image_transform(self.image_size, is_train=False))
        self.meta: dict = {}  # extras a checkpoint carries (tiny CLIP: cbs_threshold, template)
        self._text_cache: dict[str, torch.Tensor] = {}

    @property
    def embed_dim(self) -> int:
        return int(self.encode_text(["a photo of a thing."]).shape[-1])

    def normalize(self, images01: torch.Tensor) -> torch.Tensor:
        """[0,1] RGB -> CLIP's own mean/std normalisation."""
        return (images01 - self.mean) / self.std

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """N×3×S×S -> N×D raw embeddings; differentiable w.r.t. `images`."""
        return self.model.encode_image(images.to(self.dtype)).float()

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """T×D raw embeddings; each distinct string is encoded once and cached (prompts repeat every step).

        Each string is encoded on its own (a batch of one), so its embedding never depends on which other
        strings happened to be missing from the cache at the same time: a batched matmul may round differently
        with another batch size, and a resumed run (empty cache) must see the very same embeddings as an
        uninterrupted one (exact resume)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        with torch.no_grad():
            for text in missing:
                tokens = self.tokenizer([text]).to(self.device)
                self._text_cache[text] = self.model.encode_text(tokens).float()[0]
        return torch.stack([self._text_cache[t] for t in texts])

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_config(cls, cfg: dict, device: torch.device | str = "cpu", resolve_path=Path) -> "ClipScorer":
        """Build from the run config's `clip` section: {"kind", "model", "pretrained", "checkpoint",
        "precision", "cache_dir"?, "model_cfg"? (tiny without checkpoint = random weights, for tests)}."""
        precision = cfg.get("precision", "fp32")
        if cfg.get("kind", "open_clip") == "tiny":
            if cfg.get("checkpoint"):
                path = local_file(resolve_path(cfg["checkpoint"]), "tiny CLIP checkpoint", hint=TINY_CLIP_HINT)
                ckpt = torch_load(path, WeightsMissing, "tiny CLIP checkpoint", TINY_CLIP_HINT)
                scorer = cls.from_model_cfg(
                    ckpt["model_cfg"],
                    ckpt["state_dict"],
                    ckpt["mean"],
                    ckpt["std"],
                    device,
                    precision,
                    description=f"tiny CLIP {path.name}",
                )
                if "vocab" in ckpt:  # synthetic/tiny_clip.py's word-level tokenizer
                    scorer.tokenizer = TinyTokenizer.from_checkpoint(ckpt)
                # e.g. the calibrated L_CBS threshold and the caption template (docs/DESIGN.md#the-synthetic-world)
                scorer.meta = {k: ckpt[k] for k in ("cbs_threshold", "template", "input_size") if k in ckpt}
                return scorer
            if cfg.get("model_cfg"):
                return cls.from_model_cfg(
                    cfg["model_cfg"],
                    None,
                    OPENAI_MEAN,
                    OPENAI_STD,
                    device,
                    precision,
                    description="tiny CLIP (random weights)",
                )
            raise ConfigInvalid(
                "clip.kind is 'tiny' but neither clip.checkpoint nor clip.model_cfg is set",
                hint="set clip.checkpoint to the tiny CLIP .pt written by the synthetic world",
            )
        return cls.from_open_clip(
            cfg.get("model", "ViT-B-32"),
            cfg.get("pretrained"),
            cfg.get("checkpoint") and resolve_path(cfg["checkpoint"]),
            device,
            precision,
            cfg.get("cache_dir"),
            quick_gelu=cfg.get("quick_gelu"),
        )

    @classmethod
    def from_model_cfg(
        cls,
        model_cfg: dict,
        state_dict: dict | None,
        mean,
        std,
        device="cpu",
        precision="fp32",
        description="custom CLIP",
    ) -> "ClipScorer":
        """An open_clip CLIP from a config dict (CLIP(**model_cfg)); random weights when state_dict is None."""
        cfg = dict(model_cfg)
        custom = cfg.pop("custom_text", False) or "hf_model_name" in cfg.get("text_cfg", {})
        model = (CustomTextCLIP if custom else CLIP)(**cfg)
        if state_dict is not None:
            model.load_state_dict(state_dict, strict=True)
        context = cfg.get("text_cfg", {}).get("context_length", 77)
        tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=context)
        size = cfg.get("vision_cfg", {}).get("image_size", 224)
        return cls(
            model, tokenizer, mean, std, size if isinstance(size, int) else size[0], device, precision, description
        )

    @classmethod
    def from_open_clip(
        cls,
        name: str,
        pretrained: str | None,
        checkpoint: Path | None,
        device="cpu",
        precision="fp32",
        cache_dir: str | None = None,
        quick_gelu: bool | None = None,
    ) -> "ClipScorer":
        if name not in open_clip.list_models():
            raise ConfigInvalid(f"unknown open_clip model {name!r}", hint="see open_clip.list_models(), e.g. ViT-B-32")
        if checkpoint:
            path = local_file(
                checkpoint,
                f"CLIP {name} checkpoint",
                hint="point clip.checkpoint at an open_clip- or OpenAI-format state dict for this model",
            )
            description = f"{name} ({path.name})"
        elif pretrained:
            path = Path(resolve_pretrained(name, pretrained, cache_dir))
            description = f"{name}/{pretrained}"
        else:
            path, description = None, f"{name} (random weights)"
        state = read_clip_state_dict(path) if path else None
        quick = quick_gelu_for(name, pretrained, state, quick_gelu)
        model, preprocess = build_open_clip(name, pretrained, quick, state, cache_dir)
        if quick and not name.endswith("-quickgelu"):
            description += " QuickGELU"
        cfg = model.visual.preprocess_cfg if hasattr(model.visual, "preprocess_cfg") else {}
        size = model.visual.image_size
        return cls(
            model,
            open_clip.get_tokenizer(name),
            cfg.get("mean", OPENAI_MEAN),
            cfg.get("std", OPENAI_STD),
            size if isinstance(size, int) else size[0],
            device,
            precision,
            description,
            preprocess,
        )


def read_clip_state_dict(path: Path) -> dict:
    """A CLIP state dict (open_clip or OpenAI layout, .pt/.bin/.safetensors), loaded without running code."""
    from open_clip.factory import load_state_dict

    try:
        return dict(load_state_dict(str(path), weights_only=True))
    except pickle.UnpicklingError as exc:  # a pickle naming code (weights_only refused it before it ran)
        raise WeightsMissing(
            f"refusing to load CLIP weights {path}: not tensors and plain data only "
            f"({str(exc).strip().splitlines()[0]})",
            hint="use an open_clip state dict (.pt/.bin/.safetensors) from a trusted source; a "
            "file that needs a full unpickle can run code",
            path=str(path),
        ) from exc
    except RuntimeError as exc:  # e.g. OpenAI's TorchScript archive, which weights_only refuses
        raise WeightsMissing(
            f"cannot read CLIP weights {path} as a plain state dict: {str(exc).splitlines()[0]}",
            hint="use the open_clip-format file from the Hugging Face Hub (e.g. "
            "timm/vit_base_patch32_clip_224.openai), or save OpenAI's model once with "
            "torch.save(model.state_dict(), path) and point clip.checkpoint at it",
            path=str(path),
        ) from exc


def quick_gelu_for(name: str, tag: str | None, state: dict | None, explicit: bool | None = None) -> bool:
    """Whether the weights need QuickGELU activations (module docstring: the order of the rules)."""
    if explicit is not None:
        return bool(explicit)
    if name.endswith("-quickgelu"):
        return True
    if tag:
        from open_clip.pretrained import get_pretrained_cfg

        return bool(get_pretrained_cfg(name, tag).get("quick_gelu", False))
    return state is not None and any(k in state for k in OPENAI_MARKERS)


def build_open_clip(name: str, tag: str | None, quick_gelu: bool, state: dict | None, cache_dir: str | None = None):
    """(model, eval preprocess) of open_clip `name` with `state` loaded strictly (None: random weights).
    The preprocessing follows the pretrained tag's own record (mean, std, interpolation, resize mode)."""
    from open_clip.pretrained import get_pretrained_cfg

    tag_cfg = get_pretrained_cfg(name, tag) if tag else {}
    model, _, preprocess = open_clip.create_model_and_transforms(
        name,
        pretrained=None,
        force_quick_gelu=quick_gelu and not name.endswith("-quickgelu"),
        cache_dir=cache_dir,
        image_mean=tag_cfg.get("mean"),
        image_std=tag_cfg.get("std"),
        image_interpolation=tag_cfg.get("interpolation"),
        image_resize_mode=tag_cfg.get("resize_mode"),
    )
    if state is not None:
        state = {k: v for k, v in state.items() if k not in OPENAI_MARKERS}
        if "logit_scale" in state and state["logit_scale"].ndim != model.logit_scale.ndim:
            state["logit_scale"] = state["logit_scale"].reshape(model.logit_scale.shape)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ConfigInvalid(
                f"the CLIP weights do not fit open_clip model {name}: {str(exc)[:300]}",
                hint="check clip.model matches the checkpoint (e.g. ViT-B-32 vs ViT-B-16)",
            ) from exc
    return model, preprocess


def resolve_pretrained(name: str, tag: str, cache_dir: str | None) -> str:
    """Path of the weights for open_clip model `name`/`tag`: cached, or downloaded with a timeout, never a hang."""
    cached = locate_pretrained(name, tag, cache_dir)
    if cached is not None:
        return cached
    from open_clip.pretrained import get_pretrained_cfg

    cfg = get_pretrained_cfg(name, tag)
    if not cfg.get("hf_hub"):
        where = Path(cache_dir or os.path.expanduser("~/.cache/clip"))
        return str(fetch_url(cfg.get("url", ""), where, f"CLIP weights {name}/{tag}", _url_hint(cfg, where)))
    from huggingface_hub import constants, hf_hub_download

    repo, candidates = _hub_files(cfg["hf_hub"])
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(int(DOWNLOAD_TIMEOUT_S)))
    errors = []
    for candidate in candidates:
        try:
            return hf_hub_download(repo, candidate, cache_dir=cache_dir, etag_timeout=DOWNLOAD_TIMEOUT_S)
        except Exception as exc:  # try the next file name; report all failures together
            errors.append(f"{candidate}: {exc}")
    raise WeightsMissing(
        f"downloading CLIP weights {name}/{tag} from {repo} failed ({'; '.join(errors)})",
        hint=_hub_hint(name, tag, repo, candidates[-1], cache_dir or constants.HF_HUB_CACHE),
        path=cache_dir or constants.HF_HUB_CACHE,
    )


def locate_pretrained(name: str, tag: str, cache_dir: str | None) -> str | None:
    """The cached weights file of open_clip `name`/`tag`, or None when it is not cached but its host answers
    (a download will fetch it); WeightsMissing when neither. Downloads nothing (run preflight checks use this)."""
    from open_clip.pretrained import get_pretrained_cfg, list_pretrained_tags_by_model

    cfg = get_pretrained_cfg(name, tag)
    if not cfg:
        tags = ", ".join(list_pretrained_tags_by_model(name)) or "none"
        raise ConfigInvalid(f"open_clip has no pretrained tag {tag!r} for {name}", hint=f"known tags: {tags}")
    if not cfg.get("hf_hub"):
        where = Path(cache_dir or os.path.expanduser("~/.cache/clip"))
        target = locate_url(cfg.get("url", ""), where, f"CLIP weights {name}/{tag}", _url_hint(cfg, where))
        return str(target) if target.is_file() else None
    from huggingface_hub import constants, try_to_load_from_cache

    repo, candidates = _hub_files(cfg["hf_hub"])
    for candidate in candidates:
        cached = try_to_load_from_cache(repo, candidate, cache_dir=cache_dir)
        if isinstance(cached, str):
            return cached
    if not host_reachable("https://huggingface.co"):
        where = cache_dir or constants.HF_HUB_CACHE
        raise WeightsMissing(
            f"CLIP weights {name}/{tag} ({repo}/{candidates[-1]}) are not cached in {where} "
            f"and huggingface.co cannot be reached",
            hint=_hub_hint(name, tag, repo, candidates[-1], where),
            path=where,
        )
    return None


def _hub_files(hf_hub: str) -> tuple[str, list[str]]:
    """The Hugging Face repo of an open_clip `hf_hub` entry and the file names to try (safetensors first)."""
    repo, filename = os.path.split(hf_hub.rstrip("/")) if not hf_hub.endswith("/") else (hf_hub[:-1], "")
    filename = filename or "open_clip_pytorch_model.bin"
    return repo, [filename[:-4] + ".safetensors", filename] if filename.endswith((".bin", ".pth")) else [filename]


def _hub_hint(name: str, tag: str, repo: str, filename: str, where: str) -> str:
    return (
        f"On a machine with internet run: python -c \"import open_clip; open_clip.create_model('{name}', "
        f"pretrained='{tag}')\" and copy {where} here (or set HF_HOME), or download {filename} from "
        f"https://huggingface.co/{repo} and set clip.checkpoint to its path"
    )


def _url_hint(cfg: dict, where: Path) -> str:
    return f"download {cfg.get('url', '')} into {where}, or set clip.checkpoint to a local copy"
