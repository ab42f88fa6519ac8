"""The word-level tokenizer of the tiny CLIP (synthetic/tiny_clip.py trains it; models/clip_model.py loads its
checkpoints), so a tiny CLIP's vocabulary travels in the checkpoint instead of open_clip's BPE."""

from __future__ import annotations

import torch


class TinyTokenizer:
    """Word-level tokenizer: <pad>=0, <sot>=1, <unk>=2, words..., <eot> = the largest id (open_clip's
    text tower pools at the argmax token, docs/METHOD.md §1.3's EOT feature)."""

    def __init__(self, words: list[str], context_length: int = 16):
        self.vocab = ["<pad>", "<sot>", "<unk>"] + [w for w in words if not w.startswith("<")] + ["<eot>"]
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.context_length = context_length

    @classmethod
    def from_checkpoint(cls, ckpt: dict) -> "TinyTokenizer":
        """The tokenizer a tiny CLIP checkpoint was trained with (its `vocab` and `context_length`)."""
        return cls(list(ckpt["vocab"]), ckpt.get("context_length", 16))

    @staticmethod
    def split(text: str) -> list[str]:
        return text.lower().replace(".", " . ").replace(",", " ").split()

    def __call__(self, texts, context_length: int | None = None) -> torch.Tensor:
        texts = [texts] if isinstance(texts, str) else list(texts)
        n = context_length or self.context_length
        out = torch.zeros(len(texts), n, dtype=torch.long)
        for i, t in enumerate(texts):
            ids = [1] + [self.index.get(w, 2) for w in self.split(t)][: n - 2] + [len(self.vocab) - 1]
            out[i, : len(ids)] = torch.tensor(ids)
        return out

    def unknown_words(self, text: str) -> list[str]:
        return [w for w in self.split(text) if w not in self.index]
