"""The tiny CLIP: tokenizer, masked training samples, a short real training run that must classify held-out
synthetic objects zero-shot well above chance, and a checkpoint that the engine's ClipScorer loads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsss_engine.synthetic.clip_data import ScenePool, cam_like, sample_batch
from wsss_engine.synthetic.scene import CLASSES
from wsss_engine.synthetic.tiny_clip import TinyClipParams, TinyTokenizer, load_tiny_clip
from wsss_engine.synthetic.words import BANK, CONTROL_NAMES, WEAK_NAMES, vocabulary

torch.set_num_threads(1)
# Reduced budget (the demo trains 250 steps of 128): ~40 s CPU; measured 0.92 zero-shot with the best words on
# object-only images, 0.65 with the class names (the demo's model: 1.00 / 0.94).
QUICK = TinyClipParams(steps=140, batch=96, pool_size=600, lr=3e-3)
FLOOR = 0.7  # chance is 1/6
WEAK_GAP_FLOOR = 0.1  # issue 10's synonym gap, measured at QUICK: see the gap test
CONTROL_GAP_CEILING = 0.05


def test_tokenizer_puts_eot_at_the_largest_id_and_maps_unknown_words():
    tok = TinyTokenizer(vocabulary())
    ids = tok(["a photo of sailboat.", "a photo of zebra."])
    eot = len(tok.vocab) - 1
    assert ids.shape == (2, tok.context_length)
    assert (
        ids[0].tolist()[:6]
        == [1, tok.index["a"], tok.index["photo"], tok.index["of"], tok.index["sailboat"], tok.index["."]]
        and ids[0, 6] == eot
    )
    assert ids.argmax(1).tolist() == [6, 6] and ids[1, 4] == tok.index["<unk>"]
    assert tok.unknown_words("a photo of zebra.") == ["zebra"]
    assert all(not tok.unknown_words(f"a photo of {w}.") for words in BANK.values() for w in words)


def test_masked_samples_are_black_outside_the_kept_object():
    pool = ScenePool(40, 32, seed=0)
    rng, g = np.random.default_rng(0), torch.Generator().manual_seed(0)
    images, captions = sample_batch(pool, 64, rng, g)
    assert images.shape == (64, 3, 32, 32) and 0 <= images.min() and images.max() <= 1
    black = (images.amax(1) == 0).float().mean((1, 2))
    single = [i for i, c in enumerate(captions) if " on " not in c and " and " not in c]
    assert (black > 0.3).sum() >= 10  # keep samples: most pixels black
    assert len(single) > 10
    mask = torch.zeros(4, 1, 16, 16)
    mask[:, :, 6:10, 6:10] = 1
    soft = cam_like(mask, torch.Generator().manual_seed(1))
    assert soft.shape == mask.shape and (soft[:, :, 7:9, 7:9] > 0.7).all() and (soft[:, :, 0, 0] == 0).all()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from wsss_engine.synthetic.clip_cache import ensure_tiny_clip

    cache = tmp_path_factory.mktemp("cache")
    return ensure_tiny_clip(QUICK, cache, log=None, eval_per_class=30)


def test_zero_shot_accuracy_above_floor(trained):
    report = load_tiny_clip(trained).meta["report"]
    print("zero-shot", {k: v for k, v in report.items() if k.startswith("zero_shot")})
    assert report["zero_shot_best_masked"] >= FLOOR
    assert report["zero_shot_gt_masked"] >= 0.4
    assert set(report["word_cosine_masked"]) == set(CLASSES)


def test_class_names_describe_objects_worse_than_a_synonym_except_the_controls(trained):
    """Issue 10's designed property (docs/SYNTHETIC-WORLD.md): on held-out object-only crops the best synonym
    scores clearly above the class name for every class but the controls; for the controls no synonym beats the
    name by more than noise (measured at QUICK: +0.15..+0.55 and +0.004 / +0.010)."""
    gap = load_tiny_clip(trained).meta["report"]["synonym_gap"]
    print("synonym gap", gap)
    assert set(WEAK_NAMES) | set(CONTROL_NAMES) == set(CLASSES) and 1 <= len(CONTROL_NAMES) <= 2
    assert all(gap[c] >= WEAK_GAP_FLOOR for c in WEAK_NAMES), gap
    assert all(gap[c] < CONTROL_GAP_CEILING for c in CONTROL_NAMES), gap


def test_checkpoint_loads_in_the_engines_clip_scorer(trained):
    from wsss_engine.models.clip_model import ClipScorer

    clip = ClipScorer.from_config({"kind": "tiny", "checkpoint": str(trained), "precision": "fp32"})
    ours = load_tiny_clip(trained)
    assert clip.meta["cbs_threshold"] == ours.meta["cbs_threshold"]
    assert clip.image_size == ours.input_size == 64
    text = torch.nn.functional.normalize(clip.encode_text(["a photo of sailboat.", "a photo of water."]), dim=-1)
    assert torch.allclose(text, ours.text_features(["sailboat", "water"]), atol=1e-5)
    images = torch.rand(2, 3, 64, 64)
    a = torch.nn.functional.normalize(clip.encode_image(clip.normalize(images)), dim=-1)
    assert torch.allclose(a, ours.image_features(images), atol=1e-5)


def test_cbs_threshold_is_calibrated_between_clean_objects_and_backgrounds(trained):
    cbs = load_tiny_clip(trained).meta["report"]["cbs"]
    assert cbs["clean_fg_vs_bg_p95"] <= cbs["threshold"] <= max(cbs["bg_vs_own_median"], cbs["clean_fg_vs_bg_p95"])
    assert cbs["threshold"] != 0.26  # not real CLIP's value


def test_cached_checkpoint_is_reused(trained, tmp_path):
    from wsss_engine.synthetic.clip_cache import ensure_tiny_clip

    stamp = trained.stat().st_mtime_ns
    assert ensure_tiny_clip(QUICK, trained.parents[1], log=None) == trained
    assert trained.stat().st_mtime_ns == stamp
