"""OpenAI CLIP weights are built with QuickGELU (open_clip issue 771), other weights with GELU (issue 9 item 1).

No download: the weights resolution is pointed at local files saved from a randomly initialised open_clip model,
once in the Hugging Face cache layout that `resolve_pretrained` looks up for the `openai` tag, once in OpenAI's
own state-dict layout as a `clip.checkpoint`.
"""

from __future__ import annotations

import open_clip
import pytest
import torch
from open_clip.transformer import QuickGELU
from safetensors.torch import save_file

from wsss_engine.models.clip_model import ClipScorer, quick_gelu_for

torch.set_num_threads(1)


def activations(model: torch.nn.Module) -> set[str]:
    return {type(m).__name__ for m in model.modules() if isinstance(m, (QuickGELU, torch.nn.GELU))}


@pytest.fixture(scope="module")
def vit_b32_state():
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None)
    # fp16 halves the file; load_state_dict copies into the fp32 parameters
    return {k: v.half().contiguous() for k, v in model.state_dict().items()}


def hub_cache(tmp_path, state) -> str:
    """The file `resolve_pretrained('ViT-B-32', 'openai')` finds in a Hugging Face cache folder."""
    repo = tmp_path / "models--timm--vit_base_patch32_clip_224.openai"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    save_file(state, str(snapshot / "open_clip_pytorch_model.safetensors"))
    return str(tmp_path)


def test_openai_tag_builds_quickgelu(tmp_path, vit_b32_state):
    scorer = ClipScorer.from_open_clip("ViT-B-32", "openai", None, cache_dir=hub_cache(tmp_path, vit_b32_state))
    assert activations(scorer.model) == {"QuickGELU"}
    # the weights really came from the file
    assert torch.equal(scorer.model.positional_embedding.half(), vit_b32_state["positional_embedding"])


def test_openai_layout_checkpoint_builds_quickgelu(tmp_path, vit_b32_state):
    path = tmp_path / "ViT-B-32-openai.pt"
    torch.save(
        {
            **vit_b32_state,
            "input_resolution": torch.tensor(224),
            "context_length": torch.tensor(77),
            "vocab_size": torch.tensor(49408),
        },
        path,
    )
    scorer = ClipScorer.from_config({"model": "ViT-B-32", "pretrained": None, "checkpoint": str(path)})
    assert activations(scorer.model) == {"QuickGELU"}


def test_open_clip_layout_checkpoint_follows_the_tag_or_the_flag(tmp_path, vit_b32_state):
    path = tmp_path / "weights.safetensors"
    save_file(vit_b32_state, str(path))
    tagged = ClipScorer.from_config({"model": "ViT-B-32", "pretrained": "openai", "checkpoint": str(path)})
    assert activations(tagged.model) == {"QuickGELU"}
    plain = ClipScorer.from_config({"model": "ViT-B-32", "pretrained": None, "checkpoint": str(path)})
    assert activations(plain.model) == {"GELU"}


@pytest.mark.parametrize(
    "name,tag,quick",
    [
        ("ViT-B-32", "openai", True),
        ("ViT-B-16", "openai", True),
        ("RN50", "openai", True),
        ("RN50x4", "openai", True),
        ("ViT-L-14", "openai", True),
        ("RN50", "yfcc15m", True),
        ("ViT-B-32", "laion2b_s34b_b79k", False),
        ("ViT-B-16", "laion2b_s34b_b88k", False),
        ("ViT-B-32-quickgelu", "metaclip_400m", True),
        ("ViT-B-32", None, False),
    ],
)
def test_named_models_and_tags(name, tag, quick):
    assert quick_gelu_for(name, tag, None) is quick
    assert quick_gelu_for(name, tag, None, explicit=not quick) is (not quick)
