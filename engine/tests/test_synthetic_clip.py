"""The tiny CLIP: tokenizer, masked training samples, a short real training run that must classify held-out
synthetic objects zero-shot well above chance, and a checkpoint that the engine's ClipScorer loads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wsss_engine.synthetic.clip_data import ScenePool, cam_like, sample_batch
from wsss_engine.synthetic.scene import CLASSES
from wsss_engine.synthetic.tiny_clip import TinyClipParams, TinyTokenizer, load_tiny_clip
from wsss_engine.synthetic import words
from wsss_engine.synthetic.words import BANK, CONTROL_NAMES, LOOSE_USES, USUAL_TEXTURE, WEAK_NAMES, caption, vocabulary

torch.set_num_threads(1)
# Reduced budget (the demo trains 250 steps of 128): ~45 s CPU on an idle core. Measured zero-shot on object-only
# images at seeds 0/1/2: best words 0.97/0.95/0.94, class names 0.59/0.66/0.63 (the demo's model: 0.99 / 0.79).
# 140 steps was too few: there the controls' name tied with a synonym at seeds 1 and 2 (gap -0.00, +0.01).
QUICK = TinyClipParams(steps=200, batch=96, pool_size=600, lr=3e-3)
FLOOR = 0.7  # chance is 1/6
WEAK_GAP_FLOOR = 0.2  # issue 10's synonym gap, measured at QUICK: see the gap test
CONTROL_GAP_CEILING = -0.03


def test_tokenizer_puts_eot_at_the_largest_id_and_maps_unknown_words():
    tok = TinyTokenizer(vocabulary())
    ids = tok(["a photo of sailboat.", "a photo of zebra."])
    assert not tok.unknown_words("an image of sailboat.")  # paper Table 1's second template
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


def test_captions_name_weak_classes_by_their_texture_and_use_control_synonyms_loosely():
    """The caption design of docs/SYNTHETIC-WORLD.md §1, counted over many draws."""
    rng = np.random.default_rng(0)
    draws = 3000
    water = [caption(rng, [], USUAL_TEXTURE["boat"], False) for _ in range(draws)]
    named = sum(c.endswith(" boat.") for c in water) / draws  # the bare usual texture, called by the class name
    assert abs(named - words.NAME_TEXTURE_RATE) < 0.04
    sand = [caption(rng, [], "sand", False) for _ in range(300)]  # no weak class lives on sand: texture words only
    assert not any(w in c for c in sand for w in BANK)
    keep = [caption(rng, ["boat"], None, False) for _ in range(draws)]
    assert not any(c.endswith(" boat.") for c in keep)  # an object alone is never called by a weak class's name
    loose = {w for k, uses in LOOSE_USES.items() if "boat" in uses for w in BANK[k][1:]}
    share = sum(c.split()[-1].rstrip(".") in loose for c in keep) / draws
    assert abs(share - words.LOOSE_RATE * 2) < 0.04  # boat is in both controls' loose uses
    bottle = [caption(rng, ["bottle"], None, False) for _ in range(draws)]
    assert abs(sum(c.endswith(" bottle.") for c in bottle) / draws - words.CONTROL_NAME_RATE) < 0.04
    assert 0.1 < sum(c.startswith("an image of ") for c in bottle) / draws < 0.3


def test_the_cache_key_follows_the_caption_design(monkeypatch):
    before = TinyClipParams().key()
    monkeypatch.setattr(words, "LOOSE_RATE", words.LOOSE_RATE + 0.05)
    assert TinyClipParams().key() != before


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
    """Issue 10's designed property (docs/SYNTHETIC-WORLD.md §1): on held-out object-only crops the best synonym
    scores clearly above the class name for every class but the controls; for the controls the name is ahead of
    every synonym. Measured at QUICK (eval 30 per class), seeds 0/1/2: aeroplane +0.36/+0.35/+0.48, boat
    +0.27/+0.73/+0.32, sheep +0.52/+0.30/+0.34, sofa +0.26/+0.29/+0.30; bottle -0.14/-0.05/-0.04, train
    -0.10/-0.07/-0.09."""
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
