"""Pre-flight checks of train_clims and select_prompts (called from those stages' `preflight`, wsss_engine/preflight.py):
the prompt strategy, a learned-prompts file named by path, and every bank word and the template against the
tiny CLIP's word-level vocabulary. Inputs that an earlier stage of the run makes (a tiny CLIP or bank written
by the synthetic world's stages, a stage's learned prompts) are not there yet: they are checked again when
their stage starts."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import EngineError
from ..json_input import read_json_file
from ..safe_pickle import torch_load
from ..runs.config import stage_ids
from .strategy import PromptStrategy, check_kind, read_prompt_file
from .vocabulary import check_vocabulary


def tiny_tokenizer(config: dict, resolve: Callable[[str], Path]):
    """The word-level tokenizer of the config's tiny CLIP checkpoint, or None (BPE CLIP, no file yet, or a
    file that is not plain data: its stage then checks with the loaded CLIP)."""
    clip = config.get("clip") or {}
    if clip.get("kind") != "tiny" or not clip.get("checkpoint") or not resolve(clip["checkpoint"]).is_file():
        return None
    try:
        ckpt = torch_load(resolve(clip["checkpoint"]), EngineError, "tiny CLIP checkpoint", "")
    except EngineError:  # checked properly when the stage loads the CLIP
        return None
    if not isinstance(ckpt, dict) or "vocab" not in ckpt:
        return None
    from ..models.tiny_tokenizer import TinyTokenizer

    return TinyTokenizer.from_checkpoint(ckpt)


def bank_words(config: dict, stage: dict, resolve: Callable[[str], Path]) -> tuple[list[str], str] | None:
    """The words a stage will use from its bank (the first k with a bank size), or None when there is no
    readable bank yet (the stage itself reports a broken one)."""
    ref = stage.get("bank") or config.get("synonym_bank")
    if not ref or not resolve(ref).is_file():
        return None
    try:
        data = read_json_file(resolve(ref), "synonym bank")
    except EngineError:
        return None
    if not isinstance(data, dict):
        return None
    size = stage.get("bank_size") or config.get("synonym_bank_size")
    words = [
        w
        for k, v in data.items()
        if not k.startswith("$") and isinstance(v, list)
        for w in v[:size]
        if isinstance(w, str)
    ]
    return words, f"synonym bank {resolve(ref)}"


def check_train_clims(config: dict, stage: dict, resolve: Callable[[str], Path]) -> None:
    strategy = PromptStrategy.from_params(stage)
    if strategy.init_from and strategy.init_from not in stage_ids(config):
        path = resolve(strategy.init_from)
        check_kind(read_prompt_file(path), strategy.kind, path)
    _check_words(config, stage, resolve, strategy.template)


def check_select_prompts(config: dict, stage: dict, resolve: Callable[[str], Path]) -> None:
    _check_words(config, stage, resolve, "{}")


def _check_words(config: dict, stage: dict, resolve, template: str) -> None:
    tokenizer = tiny_tokenizer(config, resolve)
    if tokenizer is None:
        return
    found = bank_words(config, stage, resolve)
    words, where = found if found else ([], "the prompt template")
    check_vocabulary(
        tokenizer,
        [template.format(w) for w in words] or [template.format("")],
        where,
        f"the tiny CLIP {Path(config['clip']['checkpoint']).name}",
    )
