"""Words a CLIP cannot read: the synthetic world's tiny CLIP has a word-level vocabulary, so a bank word or a
template word outside it would silently become <unk>. Checked when a run starts (prompts/preflight.py) and
again when the stage starts, before any training."""

from __future__ import annotations

from typing import Iterable

from ..errors import ConfigInvalid


def check_vocabulary(tokenizer, texts: Iterable[str], where: str, clip_name: str) -> None:
    """Raise naming the first text with a word the tokenizer does not know (BPE knows every text)."""
    unknown = getattr(tokenizer, "unknown_words", None)
    if unknown is None:
        return
    for text in texts:
        bad = unknown(text)
        if bad:
            raise ConfigInvalid(
                f"{where}: {', '.join(repr(w) for w in bad)} (in {text!r}) is not in the vocabulary of {clip_name}",
                hint="use words the tiny CLIP was trained with (its checkpoint's vocab), or remove the word",
            )
