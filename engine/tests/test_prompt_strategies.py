"""Prompt strategies of the paper's Table 1 (METHOD §2.4): fixed templates, CoOp, target optimisation, DeFo.

Real open_clip text towers (random tiny CLIPs, BPE and word-level), real training through the pipeline."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
import torch

from training_world import CLASSES, make_voc_root, metrics, run_pipeline, tiny_clip, tiny_clip_checkpoint, write_config
from test_training import baseline_stage, clims_stage, weights

from wsss_engine.errors import ConfigInvalid
from wsss_engine.losses.clims import loss_config
from wsss_engine.models.clip_model import ClipScorer
from wsss_engine.pipeline import execute_run, prepare_run
from wsss_engine.prompts.learned import LearnedPrompts
from wsss_engine.training.clims_objective import ClimsObjective

torch.set_num_threads(1)


def word_level_clip(tmp_path):
    return ClipScorer.from_config({"kind": "tiny", "checkpoint": str(tiny_clip_checkpoint(tmp_path / "c.pt"))})


@pytest.mark.parametrize("tokenizer", ["bpe", "word"])
@pytest.mark.parametrize("kind", ["coop", "target", "defo"])
def test_initial_learned_prompt_equals_the_fixed_prompt(tmp_path, kind, tokenizer):
    """Initialised from "a photo of" and the class word, every learnable strategy starts exactly where the
    fixed prompt is: the text tower on embeddings reproduces open_clip's encode_text."""
    clip = tiny_clip() if tokenizer == "bpe" else word_level_clip(tmp_path)
    learner = LearnedPrompts(clip, kind, "a photo of {}.", CLASSES)
    got = learner(["red", "blue", "red"], [0, 2, 0])
    want = clip.encode_text(["a photo of red.", "a photo of blue.", "a photo of red."])
    assert torch.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("kind", ["coop", "defo"])
def test_multi_token_words_and_other_words_keep_their_fixed_tokens(kind):
    """CoOp and DeFo leave the word's later tokens (BPE: "dining table" is two) fixed; CoOp's context works
    with any word (a selected synonym), so both start at the fixed prompt's embedding."""
    clip = tiny_clip()
    learner = LearnedPrompts(clip, kind, "a photo of {}.", ["dining table", "tv monitor"])
    words = ["dining table", "tv monitor"] if kind == "defo" else ["kitchen table", "television"]
    got = learner(words, [0, 1])
    assert torch.allclose(got, clip.encode_text([f"a photo of {w}." for w in words]), atol=1e-5)


def test_learnable_parts_get_gradients_and_clip_stays_frozen():
    clip = tiny_clip()
    images = torch.rand(2, 3, 32, 32)
    labels = torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    for kind in ("coop", "target", "defo"):
        learner = LearnedPrompts(clip, kind, "a photo of {}.", CLASSES)
        objective = ClimsObjective(
            clip, loss_config("improved", cbs_threshold=0.0), CLASSES, CLASSES, mask_mode="raw", prompts=learner
        )
        cams = torch.rand(2, 3, 8, 8, requires_grad=True)
        total, _ = objective(images, cams, labels)
        total.backward()
        grads = {n: p.grad for n, p in learner.named_parameters()}
        assert grads and all(g is not None and g.abs().sum() > 0 for g in grads.values()), kind
        assert all(not p.requires_grad and p.grad is None for p in clip.model.parameters())
        assert set(learner.state_dict()) == (
            {"context"} if kind == "coop" else {"class_vectors"} if kind == "target" else {"context", "class_vectors"}
        )


@pytest.mark.parametrize("strategy", ["template", "coop", "target", "defo"])
def test_each_strategy_trains_and_saves_its_prompts(tmp_path, strategy):
    root = make_voc_root(tmp_path / "data", n=8)
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    spec = (
        {"kind": strategy, "lr_mult": 5}
        if strategy != "template"
        else {"kind": "template", "template": "a thing of {}."}
    )
    stages = [baseline_stage(epochs=1), clims_stage(epochs=1, prompt_strategy=spec)]
    cfg = write_config(tmp_path / "run.json", root, clip, stages)
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert status == "completed", error
    assert len(metrics(tmp_path / "run", "clims")) == 2
    stages = json.loads((tmp_path / "run" / "run.json").read_text())["stages"]
    summary = {s["id"]: s for s in stages}["clims"]["summary"]
    assert summary["prompt_strategy"] == strategy
    if strategy == "template":
        assert not (tmp_path / "run" / "prompts").exists()
        return
    saved = torch.load(tmp_path / "run" / "prompts" / "clims.pt", weights_only=True)
    assert saved["kind"] == strategy and saved["classes"] == CLASSES
    ckpt = weights(tmp_path / "run", "clims")
    for key, value in saved["state"].items():
        assert torch.equal(value, ckpt["extras"]["prompt"][key])
    # the vectors moved away from their initialisation (the prompt group was in the optimiser)
    init = LearnedPrompts(word_level_clip(tmp_path), strategy, "a photo of {}.", CLASSES).state_dict()
    assert any(not torch.equal(init[k], saved["state"][k]) for k in init)
    near = json.loads((tmp_path / "run" / "prompts" / "clims.json").read_text())["nearest_words"]
    assert near and all(len(v) == 5 for v in near.values())
    assert summary["prompts"]["file"] == "prompts/clims.pt"
    if strategy != "coop":  # one vector per class, still nearest to its own word after a few small steps
        assert summary["prompts"]["nearest_words"]["class 'red'"][0] == "red"


def test_coop_resumes_exactly_and_is_reused_by_a_later_run(tmp_path):
    root = make_voc_root(tmp_path / "data")
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    stages = [baseline_stage(epochs=1), clims_stage(epochs=2, prompt_strategy={"kind": "coop", "lr_mult": 20})]
    cfg = write_config(tmp_path / "run.json", root, clip, stages)
    assert run_pipeline(cfg, tmp_path / "full")[0] == "completed"
    assert run_pipeline(cfg, tmp_path / "cut", cancel_at=("clims", 3))[0] == "cancelled"
    assert run_pipeline(cfg, tmp_path / "cut", resume=True)[0] == "completed"
    full, cut = weights(tmp_path / "full", "clims"), weights(tmp_path / "cut", "clims")
    assert full["step"] == cut["step"] == 8
    losses = lambda run: {m["step"]: m["loss"] for m in metrics(tmp_path / run, "clims")}  # noqa: E731
    assert losses("full") == losses("cut")
    assert torch.equal(full["extras"]["prompt"]["context"], cut["extras"]["prompt"]["context"])
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key

    # a later run starts from the learned file and keeps it fixed
    learned = tmp_path / "full" / "prompts" / "clims.pt"
    reuse = [
        baseline_stage(epochs=1),
        clims_stage(epochs=1, prompt_strategy={"kind": "coop", "init_from": str(learned), "train": False}),
    ]
    status, error = run_pipeline(write_config(tmp_path / "reuse.json", root, clip, reuse), tmp_path / "reuse")
    assert status == "completed", error
    assert torch.equal(
        weights(tmp_path / "reuse", "clims")["extras"]["prompt"]["context"], full["extras"]["prompt"]["context"]
    )


def test_bad_prompt_input_fails_before_training(tmp_path):
    """Checked when the run starts (the stages' preflight, wsss_engine/preflight.py): the run fails at once,
    no stage runs."""
    root = make_voc_root(tmp_path / "data", n=8)
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")

    def failure(**extra):
        cfg = write_config(tmp_path / "run.json", root, clip, [baseline_stage(epochs=1), clims_stage(**extra)])
        shutil.rmtree(tmp_path / "run", ignore_errors=True)
        with pytest.raises(ConfigInvalid) as info:
            run_pipeline(cfg, tmp_path / "run")
        record = json.loads((tmp_path / "run" / "run.json").read_text())
        assert record["status"] == "failed" and {s["status"] for s in record["stages"]} == {"pending"}
        assert info.value.message in record["error"]["message"]
        return info.value.message

    # "an image of" is not in the word-level tiny CLIP's vocabulary: named, with the word
    assert "'an', 'image'" in failure(template="an image of {}.")
    assert "nowhere.pt does not exist" in failure(prompt_strategy={"kind": "target", "init_from": "nowhere.pt"})
    assert "per-image words" in failure(prompt="online", prompt_strategy="defo")
    assert "learns nothing" in failure(prompt_strategy={"kind": "template", "init_from": "clims"})
    # a bank word the word-level tokenizer does not know: named with the bank file
    (root / "bank.json").write_text(json.dumps({"red": ["red", "scarlet"]}))
    message = failure()
    assert "'scarlet'" in message and "bank.json" in message
    with pytest.raises(ConfigInvalid, match="exactly one"):
        LearnedPrompts(tiny_clip(), "coop", "a photo of", CLASSES)


def test_a_bank_word_of_a_bank_made_later_is_checked_when_its_stage_starts(tmp_path):
    """A bank that changes after the run started (e.g. rewritten by an earlier stage) is checked again by the
    stage itself when it starts."""
    root = make_voc_root(tmp_path / "data", n=8)
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    cfg = write_config(tmp_path / "run.json", root, clip, [baseline_stage(epochs=1), clims_stage()])
    config = json.loads(cfg.read_text())
    config["synonym_bank"] = str(tmp_path / "later.json")
    cfg.write_text(json.dumps(config))
    (tmp_path / "later.json").write_text(json.dumps({"red": ["red"]}))
    run, loaded = prepare_run(cfg, tmp_path / "run", False)
    (tmp_path / "later.json").write_text(json.dumps({"red": ["red", "scarlet"]}))
    status, error = execute_run(run, loaded, threading.Event())
    assert status == "failed" and "'scarlet'" in error["message"]
    assert [s["status"] for s in json.loads((tmp_path / "run" / "run.json").read_text())["stages"]] == [
        "completed",
        "failed",
    ]
