"""Training-free CLIP CAMs (clip_cam/, stages/clip_cams.py; METHOD §10): Grad-CAM against a hand computation,
the ViT path (embedding, attention, refinement), and the stage's CAM records read by evaluate and selection."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from training_world import make_voc_root, add_masks, run_pipeline, tiny_clip_checkpoint, write_config
from wsss_engine.clip_cam import gradcam, vit_attention
from wsss_engine.clip_cam.background import background_words, bundled_lists
from wsss_engine.clip_cam.maker import CamSettings, TrainingFreeCams
from wsss_engine.data.cam_files import load_cam
from wsss_engine.errors import ConfigInvalid
from wsss_engine.models.clip_model import ClipScorer
from wsss_engine.pole.selection_sources import read_word_table

torch.set_num_threads(1)
TEXT = {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}
RESNET = {"embed_dim": 32, "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 16, "head_width": 32}}
VIT = {"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 3, "width": 32, "patch_size": 8, "head_width": 16}}


def scorer(cfg: dict, pool_type: str | None = None) -> ClipScorer:
    torch.manual_seed(0)
    cfg = json.loads(json.dumps({**cfg, "text_cfg": TEXT}))
    if pool_type:
        cfg["vision_cfg"]["pool_type"] = pool_type
    return ClipScorer.from_config({"kind": "tiny", "model_cfg": cfg})


def test_resnet_gradcam_matches_a_hand_computation_on_the_unmodified_tower():
    """Our pass re-implements the attention pool (for any input size); at the native size its embedding and its
    Grad-CAM must equal open_clip's own forward with a hook on layer4 and the formula written out."""
    clip = scorer(RESNET)
    visual = clip.model.visual
    x = torch.rand(1, 3, 64, 64)
    texts = F.normalize(torch.randn(5, 32), dim=-1)
    captured = {}
    hook = visual.layer4.register_forward_hook(lambda m, i, o: captured.setdefault("a", o))
    x_ref = x.clone().requires_grad_(True)  # frozen weights: the input carries the graph to layer4
    emb_ref = visual(x_ref)
    hook.remove()
    probs_ref = (clip.model.logit_scale.exp() * F.normalize(emb_ref, dim=-1) @ texts.t()).softmax(-1)
    (grad,) = torch.autograd.grad(probs_ref[0, 3], captured["a"])
    by_hand = torch.relu((grad[0].mean(dim=(1, 2))[:, None, None] * captured["a"][0]).sum(0))
    by_hand = (by_hand - by_hand.min()) / (by_hand.max() - by_hand.min() + 1e-7)

    tower = gradcam.resnet_pass(visual, x)
    assert torch.allclose(tower.embedding, emb_ref, atol=1e-5)
    ours = gradcam.grad_cams(tower, gradcam.class_probabilities(tower.embedding, texts, clip.model.logit_scale), [3])
    assert ours.shape == (1, 2, 2) and torch.allclose(ours[0], by_hand, atol=1e-5)
    # a larger input gives a finer grid (interpolated positional embedding) and still a valid map
    big = gradcam.resnet_pass(visual, torch.rand(1, 3, 128, 192))
    assert big.activations.shape[-2:] == (4, 6) and big.embedding.shape == (1, 32)


def test_vit_pass_embedding_attention_and_grid():
    """CLIP-ES pools a ViT by the mean of its patch tokens: open_clip's pool_type 'avg' is that forward."""
    clip = scorer(VIT, pool_type="avg")
    x = torch.rand(2, 3, 32, 32)
    tower = gradcam.vit_pass(clip.model.visual, x, attention_layers=2)
    assert torch.allclose(tower.embedding, clip.model.visual(x), atol=1e-5)
    assert tower.grid == (4, 4) and tower.maps(tower.activations).shape == (2, 32, 4, 4)
    assert len(tower.attentions) == 2 and tower.attentions[0].shape == (2, 16, 16)
    # any size (multiple of the patch): the positional embedding is interpolated
    odd = gradcam.vit_pass(clip.model.visual, torch.rand(1, 3, 48, 64))
    assert odd.grid == (6, 8) and len(odd.attentions) == 3  # fewer blocks than asked: all of them
    trans = vit_attention.image_transition(tower.attentions)
    assert torch.allclose(trans, trans.t(), atol=1e-6) and (trans >= 0).all()


def test_refinement_only_spreads_from_inside_the_boxes():
    cam = torch.zeros(6, 6)
    cam[1:3, 1:3] = 1.0
    cam[5, 5] = 0.2  # below 0.4 × max: outside every box
    assert vit_attention.box_mask(cam).sum() == 4
    identity = torch.eye(36)
    refined = vit_attention.refine(cam, identity)
    assert refined[5, 5] == 0 and refined[1:3, 1:3].min() > 0.999
    uniform = vit_attention.transition(torch.ones(36, 36))
    assert torch.allclose(uniform, torch.full((36, 36), 1 / 36), atol=1e-6)
    # two groups of patches that attend only among themselves: the top three rows and the rest
    groups = torch.zeros(36, 36)
    groups[:18, :18], groups[18:, 18:] = 1.0, 1.0
    spread = vit_attention.refine(cam, vit_attention.transition(groups))
    assert spread[:3].min() > 0.999 and spread[3:].max() == 0  # row 0 is outside the box but in its group


def test_record_shapes_and_softmax_competition():
    clip = scorer(RESNET)
    maker = TrainingFreeCams(clip, ["cat", "dog", "car"], {}, ["sky", "grass"], CamSettings(scale=2.0))
    rgb = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    keys, cam, high_res, probs = maker.record(rgb, [2, 0])
    assert keys.tolist() == [0, 2] and cam.shape == (2, 13, 18) and high_res.shape == (2, 50, 70)
    assert np.all((high_res.max(axis=(1, 2)) == 1) | (high_res.max(axis=(1, 2)) == 0))
    assert probs.shape == (2,) and probs.sum() < 1  # the background prompts take a share
    alone = TrainingFreeCams(clip, ["cat", "dog", "car"], {}, [], CamSettings(scale=2.0)).record(rgb, [2, 0])[3]
    assert alone.sum() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ConfigInvalid, match="softmax_over"):
        CamSettings(softmax_over="some")


def test_background_lists():
    assert {"voc", "synthetic"} <= set(bundled_lists())
    assert "sky" in background_words("voc") and background_words("none") == []
    from wsss_engine.synthetic.words import vocabulary

    assert set(background_words("synthetic")) <= set(vocabulary())  # the tiny CLIP knows them all


def test_stage_records_are_read_by_evaluate_and_the_selection_reader(tmp_path):
    root = add_masks(make_voc_root(tmp_path / "data", n=6))
    ckpt = tiny_clip_checkpoint(tmp_path / "clip.pt")
    (tmp_path / "bg.json").write_text(json.dumps(["tree", "river"]))
    stages = [
        {"id": "tf", "type": "clip_cams", "words": "selected", "background": str(tmp_path / "bg.json")},
        {"id": "fuse", "type": "clip_cams", "words": "fusion", "top_k": 2, "background": "none"},
        {"id": "eval", "type": "evaluate", "cams": "tf"},
    ]
    cfg = write_config(tmp_path / "run.json", root, ckpt, stages)
    status, error = run_pipeline(cfg, tmp_path / "run")
    assert (status, error) == ("completed", None)
    rec = load_cam(tmp_path / "run" / "cams" / "tf" / "img_001.npy")
    assert rec["high_res"].shape[-2:] == (32, 32) and rec["cam"].shape[-2:] == (8, 8)
    report = json.loads((tmp_path / "run" / "reports" / "eval.json").read_text())
    assert report["n_images"] == 6 and 0 <= report["miou"] <= 1
    labels = {
        i: [["red", "green", "blue"].index(c) for c in cs]
        for i, cs in json.loads((root / "labels.json").read_text()).items()
    }
    table, source = read_word_table(tmp_path / "run" / "selection" / "tf.json", labels, ["red", "green", "blue"])
    assert source == "prompt_selection" and set(table) == set(labels)
    fused = json.loads((tmp_path / "run" / "selection" / "fuse.json").read_text())["images"]["img_000"]
    assert all(len(e["words"]) == 2 and e["word"] == e["words"][0] for e in fused.values())


def test_preflight_names_a_word_outside_the_tiny_vocabulary(tmp_path):
    root = make_voc_root(tmp_path / "data", n=2)
    ckpt = tiny_clip_checkpoint(tmp_path / "clip.pt")
    cfg = write_config(tmp_path / "run.json", root, ckpt, [{"id": "tf", "type": "clip_cams", "background": "voc"}])
    with pytest.raises(ConfigInvalid) as raised:  # at the run's start, before any stage
        run_pipeline(cfg, tmp_path / "run")
    text = str(raised.value)
    assert "is not in the vocabulary" in text and "clip_cams" in text


def test_word_request_over_the_real_engine(tmp_path):
    """clipCams/word (rpc/clip_cam_word.py) on a real `serve`: the word's CAM on the class's images, with the
    probability the stage's maker gives and an overlay PNG; an unknown word is refused naming it. Over 10 s:
    most of it is the engine process importing torch and open_clip (as test_synonym_scoring.py's engine)."""
    import base64

    from engine_client import EngineClient

    root = make_voc_root(tmp_path / "data", n=6)
    ckpt = tiny_clip_checkpoint(tmp_path / "clip.pt")
    cfg = write_config(tmp_path / "run.json", root, ckpt, [{"id": "tf", "type": "clip_cams", "background": "none"}])
    assert run_pipeline(cfg, tmp_path / "run") == ("completed", None)
    labels = json.loads((root / "labels.json").read_text())
    client = EngineClient()
    try:
        params = {"runDir": str(tmp_path / "run"), "class": "red", "word": "crimson"}
        result = client.result("clipCams/word", params, timeout=180)  # the engine imports torch first
        expected = sorted(i for i, cs in labels.items() if "red" in cs)[:4]
        assert [e["imageId"] for e in result["images"]] == expected and result["word"] == "crimson"
        first = result["images"][0]
        assert (
            first["overlay"].startswith("data:image/png;base64,") and len(base64.b64decode(first["overlay"][22:])) > 50
        )
        assert 0 < first["probability"] <= 1 and -1 <= first["score"] <= 1
        assert (first["width"], first["height"]) == (32, 32)
        bad = client.request("clipCams/word", {**params, "word": "scarlet"}, timeout=60)
        assert bad["error"]["code"] == -32001 and "scarlet" in bad["error"]["message"]
    finally:
        client.close()
    # a cancelled call (the editor's newer word) stops before any image is made
    import threading

    from wsss_engine.errors import Cancelled
    from wsss_engine.rpc.clip_cam_word import word_cams

    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(Cancelled):
        word_cams(params, cancelled)


def test_word_choice_selected_and_fused():
    from wsss_engine.clip_cam.words import words_for

    scores = {2: {"boat": 0.21, "sailboat": 0.30, "vessel": 0.30, "ship": 0.25}}
    assert words_for("class", scores, 2) == {}
    assert words_for("selected", scores, 2) == {2: ["sailboat"]}  # ties: bank order, as select_offline's max()
    assert words_for("fusion", scores, 3) == {2: ["sailboat", "vessel", "ship"]}


def test_stage_cancels_per_image_and_resumes_with_its_word_table(tmp_path):
    """Cancelled once 2 CAM files exist (progress events are throttled, so the test watches the folder): the
    images written keep their words; a resume does only the rest."""
    import threading

    from wsss_engine.pipeline import RunEvents, execute_run, prepare_run

    root = make_voc_root(tmp_path / "data", n=12)
    ckpt = tiny_clip_checkpoint(tmp_path / "clip.pt")
    stages = [{"id": "tf", "type": "clip_cams", "words": "selected", "background": "none"}]
    cfg = write_config(tmp_path / "run.json", root, ckpt, stages)
    cams = tmp_path / "run" / "cams" / "tf"
    cancel = threading.Event()

    def watch():
        while not cancel.is_set():
            if len(list(cams.glob("*.npy"))) >= 2:
                cancel.set()
            cancel.wait(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    run, loaded = prepare_run(cfg, tmp_path / "run", False)
    watcher.start()
    status, _ = execute_run(run, loaded, cancel, RunEvents())
    cancel.set()
    assert status == "cancelled"
    done = sorted(p.stem for p in cams.glob("*.npy"))
    table = json.loads((tmp_path / "run" / "selection" / "tf.json").read_text())["images"]
    assert 2 <= len(done) < 12 and sorted(table) == done  # the words of every written CAM were kept
    assert run_pipeline(cfg, tmp_path / "run", resume=True) == ("completed", None)
    assert len(list(cams.glob("*.npy"))) == 12
    assert len(json.loads((tmp_path / "run" / "selection" / "tf.json").read_text())["images"]) == 12
