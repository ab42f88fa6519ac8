"""The `prompt_strategy` param of a train_clims stage (METHOD §2.4, the paper's Table 1), and where learned
prompts live in a run.

    "prompt_strategy": "coop"                                  (shorthand for {"kind": "coop"})
    "prompt_strategy": {"kind": "template" | "coop" | "target" | "defo",
                        "template": "a photo of {}.",          (default: the stage's `template`, else CLIMS's)
                        "lr_mult": 1,                          (learnable kinds: lr factor, like adaptor_lr_mult)
                        "init_from": "<stage id> | <file.pt>", (start from a run's learned prompts)
                        "train": true}                         (false: use the loaded prompts as they are)

"template" (default) is a fixed prompt: CLIMS's "a photo of [CLS]." or the paper's "an image of [CLS]." or
any user template. The learnable kinds are in prompts/learned.py. Learned vectors are saved in the stage
checkpoint (resume) and, when the stage completes, in `<run>/prompts/<stage-id>.pt` (plain tensors, read with
weights_only=True) with `<stage-id>.json`, the nearest vocabulary words of each vector.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from ..errors import ConfigInvalid
from ..runs.config import stage_ids
from ..runs.run_folder import atomic_write_bytes, atomic_write_json
from ..safe_pickle import torch_load
from .learned import KINDS, LearnedPrompts

STRATEGIES = ("template", *KINDS)
DEFAULT_TEMPLATE = "a photo of {}."  # CLIMS (METHOD §1.3)
FILE_FORMAT = "wsss-prompts"


@dataclass(frozen=True)
class PromptStrategy:
    kind: str = "template"
    template: str = DEFAULT_TEMPLATE
    lr_mult: float = 1.0
    init_from: str | None = None
    train: bool = True

    @property
    def learnable(self) -> bool:
        return self.kind != "template"

    @classmethod
    def from_params(cls, params: dict, default_template: str = DEFAULT_TEMPLATE) -> "PromptStrategy":
        """`default_template`: the loss preset's prompt form, used when neither the stage nor the strategy
        names a template (METHOD §1.3). `params`: a train_clims stage's, schema defaults filled."""
        raw = params["prompt_strategy"]
        raw = {"kind": raw} if isinstance(raw, str) else dict(raw)
        kind = raw.get("kind", "template")
        if kind not in STRATEGIES:
            raise ConfigInvalid(f"unknown prompt_strategy kind {kind!r}", hint=f"use one of {', '.join(STRATEGIES)}")
        own, stage = raw.get("template"), params.get("template")
        if own and stage and own != stage:
            raise ConfigInvalid(
                f"the stage sets template {stage!r} and prompt_strategy.template {own!r}",
                hint="set the template in one place",
            )
        template = own or stage or default_template
        if template.count("{}") != 1:
            raise ConfigInvalid(
                f"prompt template {template!r} needs exactly one {{}} for the class word", hint='e.g. "an image of {}."'
            )
        if kind == "template" and raw.get("init_from"):
            raise ConfigInvalid(
                "prompt_strategy 'template' learns nothing, so it cannot start from init_from",
                hint="name the kind the prompts were learned with (coop, target or defo)",
            )
        if kind != "template" and raw.get("init_from") is None and raw.get("train") is False:
            raise ConfigInvalid(
                "prompt_strategy.train is false but nothing is loaded (init_from)",
                hint="name a stage or prompts file in init_from, or train the prompts",
            )
        if kind in ("target", "defo") and params["prompt"] != "gt":
            raise ConfigInvalid(
                f"prompt_strategy {kind!r} learns one vector per class, so it cannot take per-image "
                f"words (prompt {params['prompt']!r})",
                hint="use prompt 'gt' with it, or the 'coop' strategy, whose context works with any word",
            )
        return cls(kind, template, float(raw.get("lr_mult", 1.0)), raw.get("init_from"), bool(raw.get("train", True)))


def build_prompts(
    ctx, strategy: PromptStrategy, clip, classes: Sequence[str], class_words: Sequence[str]
) -> LearnedPrompts | None:
    """The stage's learnable prompts (None for a fixed template), loaded from `init_from` when given."""
    if not strategy.learnable:
        return None
    learner = LearnedPrompts(clip, strategy.kind, strategy.template, class_words).to(clip.device)
    if strategy.init_from:
        path = prompt_file_ref(ctx, strategy.init_from)
        load_into(learner, read_prompt_file(path), classes, path)
        ctx.log(f"prompts: {strategy.kind} vectors loaded from {path}")
    learner.requires_grad_(strategy.train)
    return learner


def prompt_file_ref(ctx, ref: str) -> Path:
    """An earlier stage id of this run -> <run>/prompts/<id>.pt; anything else is a path."""
    if ref in stage_ids(ctx.config):
        return Path(ctx.run.path) / "prompts" / f"{ref}.pt"
    return Path(ctx.resolve_path(ref))


def read_prompt_file(path: Path) -> dict:
    hint = "name a train_clims stage that learned prompts, or a <run>/prompts/<stage-id>.pt file"
    if not Path(path).is_file():
        raise ConfigInvalid(f"learned prompts file {path} does not exist", hint=hint, path=str(path))
    data = torch_load(path, ConfigInvalid, "learned prompts file", hint)  # plain tensors only, no code
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise ConfigInvalid(f"{path} is not a learned prompts file (format {FILE_FORMAT!r})", hint=hint, path=str(path))
    return data


def check_kind(data: dict, kind: str, path: Path) -> None:
    if data["kind"] != kind:
        raise ConfigInvalid(
            f"{path} holds {data['kind']} prompts, this stage learns {kind} prompts",
            hint="use the same prompt_strategy kind",
            path=str(path),
        )


def load_into(learner: LearnedPrompts, data: dict, classes: Sequence[str], path: Path) -> None:
    check_kind(data, learner.kind, path)
    if learner.kind != "coop" and list(data["classes"]) != list(classes):
        raise ConfigInvalid(
            f"{path} has per-class vectors for {data['classes']}, this dataset's classes are {list(classes)}",
            hint="reuse prompts learned on the same classes",
            path=str(path),
        )
    try:
        learner.load_state_dict(data["state"])
    except RuntimeError as exc:
        raise ConfigInvalid(
            f"{path} does not fit this CLIP or template ({str(exc).splitlines()[0][:200]})",
            hint="reuse prompts learned with the same CLIP and template",
            path=str(path),
        ) from None


def save_prompts(run_path: Path, stage_id: str, learner: LearnedPrompts, classes: Sequence[str]) -> dict:
    """Write <run>/prompts/<stage-id>.pt and .json; returns the summary entry for the stage report."""
    folder = Path(run_path) / "prompts"
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(learner.file_payload(classes), buffer)
    atomic_write_bytes(folder / f"{stage_id}.pt", buffer.getvalue())
    near = learner.nearest_words()
    atomic_write_json(
        folder / f"{stage_id}.json", {"kind": learner.kind, "template": learner.template, "nearest_words": near}
    )
    return {
        "kind": learner.kind,
        "file": f"prompts/{stage_id}.pt",
        "nearest_words": {name: [n["token"] for n in items] for name, items in near.items()},
    }
