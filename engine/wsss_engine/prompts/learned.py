"""Learnable prompts of the paper's Table 1 (METHOD §2.4) as one module, `LearnedPrompts`.

For a template "prefix {} suffix" (default "a photo of {}.") and a pair's word w of class c, the text tower
sees [SOT] prefix w suffix [EOT] with some token embeddings replaced by learnable vectors:

- "coop"   (Zhou et al., CoOp; POLE `clip_tools/clip_coop_utils.py`): the prefix tokens are one learnable
           context shared by every class, initialised from the token embeddings of "a photo of"; the word
           and suffix stay fixed, so any word works (the ground-truth word, or POLE's selected word).
- "target" ("target optimisation", paper Table 1): one learnable [CLS] vector per class replaces the whole
           class word, initialised from the word's token embedding (the mean of its tokens when the word has
           several, e.g. "dining table"); the template stays fixed.
- "defo"   (the paper's modified DeFo, POLE `clip_tools/clip_defo_utils.py`): the learnable shared context of
           CoOp plus a learnable per-class vector in place of the word's first token, initialised from it; the
           word's other tokens and the suffix stay fixed.

CLIP stays frozen; only `context` and `class_vectors` are parameters. Text embeddings are computed for the
distinct (word, class) pairs of a step only.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..errors import ConfigInvalid
from .text_encoder import encode_sequences, nearest_tokens, sequence_ids, text_model, token_ids, token_name

KINDS = ("coop", "target", "defo")


class LearnedPrompts(nn.Module):
    def __init__(self, clip, kind: str, template: str, class_words: Sequence[str]):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if template.count("{}") != 1:
            raise ConfigInvalid(
                f"prompt template {template!r} needs exactly one {{}} for the class word", hint='e.g. "a photo of {}."'
            )
        self._clip = clip  # not a submodule: CLIP's weights are not part of this module's state
        self.kind, self.template, self.class_words = kind, template, list(class_words)
        self._prefix = template.split("{}")[0].strip()
        self._layouts: dict[str, tuple[list[int], int]] = {}  # word -> (token ids of its prompt, word tokens)
        _, self._context = sequence_ids(clip.tokenizer, template.format(self.class_words[0]))
        self.prefix_ids = token_ids(clip.tokenizer, self._prefix) if self._prefix else []
        weight = text_model(clip).token_embedding.weight.detach().float()
        if kind in ("coop", "defo"):
            if not self.prefix_ids:
                raise ConfigInvalid(
                    f"{kind} learns the context before the class word, and the template {template!r} has none",
                    hint='use a template like "a photo of {}."',
                )
            self.context = nn.Parameter(weight[self.prefix_ids].clone())
        if kind == "target":
            self.class_vectors = nn.Parameter(
                torch.stack([weight[token_ids(clip.tokenizer, w)].mean(0) for w in self.class_words])
            )
        elif kind == "defo":
            self.class_vectors = nn.Parameter(
                torch.stack([weight[token_ids(clip.tokenizer, w)[0]] for w in self.class_words])
            )

    # ------------------------------------------------------------------ encoding
    def _layout(self, word: str) -> tuple[list[int], int]:
        if word not in self._layouts:
            ids, _ = sequence_ids(self._clip.tokenizer, self.template.format(word))
            n_prefix = len(self.prefix_ids)
            n_word = len(token_ids(self._clip.tokenizer, f"{self._prefix} {word}".strip())) - n_prefix
            if ids[1 : 1 + n_prefix] != self.prefix_ids or n_word < 1:
                raise ConfigInvalid(
                    f"the template {self.template!r} does not tokenise into context + {word!r} + rest",
                    hint="put a space before {} in the template",
                )
            self._layouts[word] = ids, n_word
        return self._layouts[word]

    def _pieces(self, word: str, cls: int) -> list[torch.Tensor]:
        """The prompt of `word` (class `cls`) as fixed token embeddings and learnable vectors, SOT to EOT."""
        embed = text_model(self._clip).token_embedding.weight.detach()
        ids, n_word = self._layout(word)
        n_prefix = len(self.prefix_ids)
        dev = embed.device
        fixed = lambda a, b: embed[torch.tensor(ids[a:b], dtype=torch.long, device=dev)]  # noqa: E731
        word_end = 1 + n_prefix + n_word
        if self.kind == "coop":
            return [fixed(0, 1), self.context, fixed(1 + n_prefix, len(ids))]
        if self.kind == "target":
            return [fixed(0, 1 + n_prefix), self.class_vectors[cls : cls + 1], fixed(word_end, len(ids))]
        return [fixed(0, 1), self.context, self.class_vectors[cls : cls + 1], fixed(2 + n_prefix, len(ids))]

    def forward(self, words: Sequence[str], classes: Sequence[int]) -> torch.Tensor:
        """T×D raw text embeddings of the pairs' prompts (word, class index), differentiable w.r.t. the
        learnable vectors. Target and DeFo vectors belong to the class, so they ignore the word."""
        keys = [
            (w if self.kind == "coop" else self.class_words[c], c if self.kind != "coop" else -1)
            for w, c in zip(words, classes)
        ]
        unique = list(dict.fromkeys(keys))
        emb = encode_sequences(text_model(self._clip), [self._pieces(w, max(c, 0)) for w, c in unique], self._context)
        index = {k: i for i, k in enumerate(unique)}
        return emb[torch.tensor([index[k] for k in keys], device=emb.device)]

    # ------------------------------------------------------------------ inspection and files
    def vectors(self) -> dict[str, torch.Tensor]:
        """Named learned vectors: context tokens ("context[0]"...) and per-class vectors (the class word)."""
        out = {}
        if hasattr(self, "context"):
            for i, token in enumerate(self.prefix_ids):
                out[f"context[{i}] (init {token_name(self._clip.tokenizer, token)!r})"] = self.context[i]
        if hasattr(self, "class_vectors"):
            for i, w in enumerate(self.class_words):
                out[f"class {w!r}"] = self.class_vectors[i]
        return out

    def nearest_words(self, k: int = 5) -> dict[str, list[dict]]:
        named = self.vectors()
        near = nearest_tokens(text_model(self._clip), self._clip.tokenizer, torch.stack(list(named.values())), k)
        return dict(zip(named, near))

    def file_payload(self, classes: Sequence[str]) -> dict:
        """What `<run>/prompts/<stage-id>.pt` holds: plain tensors, strings and lists (weights_only loads it)."""
        return {
            "format": "wsss-prompts",
            "version": 1,
            "kind": self.kind,
            "template": self.template,
            "classes": list(classes),
            "class_words": self.class_words,
            "state": {k: v.detach().cpu().clone() for k, v in self.state_dict().items()},
        }
