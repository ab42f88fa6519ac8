"""CLIP's text tower on token *embeddings* instead of token ids, so that some prompt tokens can be learnable
vectors (CoOp, target optimisation, DeFo; METHOD §2.4).

Mirrors open_clip `CLIP.encode_text` (token embedding + positional embedding, causal transformer, ln_final,
the feature at the EOT token, text projection) with the token-embedding lookup taken out: the caller builds
each sequence from fixed token embeddings and learnable vectors and says where its EOT token sits. CLIP's own
parameters stay frozen; gradients reach only the learnable vectors.
"""

from __future__ import annotations

from typing import Sequence

import torch
from open_clip.model import CLIP

from ..errors import ConfigInvalid


def text_model(clip) -> CLIP:
    """The open_clip CLIP of a ClipScorer, checked to have the parts a learnable prompt needs."""
    model = clip.model
    if not isinstance(model, CLIP) or getattr(model, "text_pool_type", "argmax") not in ("argmax", "eos"):
        raise ConfigInvalid(
            f"learnable prompts need an open_clip CLIP with its own text transformer pooled at "
            f"the EOT token; {clip.description} is a {type(model).__name__}",
            hint="use a template prompt strategy with this CLIP, or an OpenAI-style CLIP model",
        )
    return model


def token_ids(tokenizer, text: str) -> list[int]:
    """Token ids of `text` without start/end/padding: what sits between SOT and EOT (the EOT is the largest
    id of the sequence in both open_clip's BPE tokenizer and the tiny CLIP's word-level one)."""
    row = tokenizer([text])[0]
    eot = int(row.argmax())
    return [int(t) for t in row[1:eot]]


def sequence_ids(tokenizer, text: str) -> tuple[list[int], int]:
    """(ids of SOT + text + EOT, context length)."""
    row = tokenizer([text])[0]
    eot = int(row.argmax())
    if eot == row.shape[0] - 1 and len(token_ids(tokenizer, text)) >= row.shape[0] - 2:
        raise ConfigInvalid(
            f"the prompt {text!r} is longer than CLIP's context ({row.shape[0]} tokens)",
            hint="shorten the template or the word",
        )
    return [int(t) for t in row[: eot + 1]], int(row.shape[0])


def encode_sequences(model: CLIP, pieces: Sequence[Sequence[torch.Tensor]], context: int) -> torch.Tensor:
    """Each prompt is a list of L_i×W pieces (fixed token embeddings and learnable vectors, SOT first, EOT
    last); returns T×D raw text embeddings (float32), differentiable w.r.t. the learnable pieces."""
    cast = model.transformer.get_cast_dtype()
    pad = model.token_embedding.weight[0].detach()
    rows, eots = [], []
    for parts in pieces:
        seq = torch.cat([p.to(cast) for p in parts])
        if seq.shape[0] > context:
            raise ConfigInvalid(
                f"a learnable prompt has {seq.shape[0]} tokens, more than CLIP's context ({context})",
                hint="use fewer context tokens or a shorter template",
            )
        eots.append(seq.shape[0] - 1)
        # Padding after the EOT never reaches it (causal attention), as in open_clip's own padded sequences.
        rows.append(torch.cat([seq, pad.to(cast).expand(context - seq.shape[0], -1)]))
    x = torch.stack(rows) + model.positional_embedding.to(cast)
    x = model.transformer(x, attn_mask=model.attn_mask)
    x = model.ln_final(x)
    x = x[torch.arange(x.shape[0], device=x.device), torch.tensor(eots, device=x.device)]
    if isinstance(model.text_projection, torch.nn.Linear):
        x = model.text_projection(x)
    elif model.text_projection is not None:
        x = x @ model.text_projection
    return x.float()


def token_name(tokenizer, token: int) -> str:
    """A readable form of one vocabulary entry (BPE pieces lose their end-of-word marker)."""
    vocab = getattr(tokenizer, "vocab", None)
    if isinstance(vocab, list):  # the tiny CLIP's word-level tokenizer
        return vocab[token]
    return tokenizer.decode([token]).strip()


def special_ids(tokenizer) -> list[int]:
    vocab = getattr(tokenizer, "vocab", None)
    if isinstance(vocab, list):
        return [i for i, w in enumerate(vocab) if w.startswith("<")]
    return list(getattr(tokenizer, "all_special_ids", []))


@torch.no_grad()
def nearest_tokens(model: CLIP, tokenizer, vectors: torch.Tensor, k: int = 5) -> list[list[dict]]:
    """For each vector, the k vocabulary tokens nearest by cosine in the token-embedding space."""
    table = torch.nn.functional.normalize(model.token_embedding.weight.float(), dim=-1)
    vec = torch.nn.functional.normalize(vectors.detach().float().to(table.device), dim=-1)
    sims = vec @ table.t()
    sims[:, special_ids(tokenizer)] = -2.0  # <pad>, <sot>, <eot>... are not words
    top = sims.topk(min(k, table.shape[0]), dim=-1)
    return [
        [
            {"token": token_name(tokenizer, int(i)), "cosine": round(float(s), 4)}
            for s, i in zip(vals.tolist(), ids.tolist())
        ]
        for vals, ids in zip(top.values, top.indices)
    ]
