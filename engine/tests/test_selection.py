"""POLE prompt selection (METHOD §2.2) and the synonym bank (§2.1)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from shared_data import SHARED_DATA
from training_world import BANK, CLASSES, make_voc_root, run_pipeline, tiny_clip, tiny_clip_checkpoint, write_config
from wsss_engine.data.cam_files import save_cam
from wsss_engine.data.layout import VOC_CLASSES
from wsss_engine.errors import ConfigInvalid
from wsss_engine.pole.selection import OnlineSelection, WordScorer, masked_rgb, select_offline, selection_stats
from wsss_engine.pole.synonym_bank import SynonymBank

torch.set_num_threads(1)
SHARED_BANK = SHARED_DATA / "pole" / "synonyms_chatgpt_4.json"
VOC = list(VOC_CLASSES)


def test_selection_picks_the_word_whose_text_matches_the_image_embedding():
    clip = tiny_clip()
    bank = SynonymBank.from_dict(BANK, CLASSES)
    scorer = WordScorer(clip, bank, CLASSES)
    image_emb = torch.stack(
        [
            clip.encode_text(["a photo of crimson."])[0] * 3.0,  # scale must not matter
            clip.encode_text(["a photo of green."])[0],
        ]
    )
    scores = scorer.scores(image_emb, [0, 1])
    assert max(scores[0], key=scores[0].get) == "crimson" and scores[0]["crimson"] == pytest.approx(1.0)
    assert max(scores[1], key=scores[1].get) == "green" and set(scores[1]) == {"green", "lime"}


def test_online_selection_refreshes_every_n_steps_and_round_trips():
    clip = tiny_clip()
    bank = SynonymBank.from_dict(BANK, CLASSES)
    online = OnlineSelection(clip, bank, CLASSES, every=2)
    pairs = torch.tensor([[0, 0], [1, 2]])
    navy = clip.encode_text(["a photo of navy."])[0]
    crimson = clip.encode_text(["a photo of crimson."])[0]
    red = clip.encode_text(["a photo of red."])[0]
    words = online.words(["a", "b"], pairs, torch.stack([crimson, navy]))  # step 0: refresh
    assert words == ["crimson", "navy"]
    words = online.words(["a", "b"], pairs, torch.stack([red, navy]))  # step 1: table kept
    assert words == ["crimson", "navy"]
    words = online.words(["a", "b"], pairs, torch.stack([red, navy]))  # step 2: refresh
    assert words == ["red", "navy"] and online.refreshes == 2
    copy = OnlineSelection(clip, bank, CLASSES, every=2)
    copy.load_state_dict(json.loads(json.dumps(online.state_dict())))
    assert copy.table == online.table and copy.step == 3
    assert copy.words(["c"], torch.tensor([[0, 1]]), red[None]) == ["green"]  # unseen image: GT word


def test_masked_rgb_normalises_cam_and_never_overflows():
    rgb = np.full((4, 4, 3), 250, np.uint8)
    cam = np.zeros((4, 4), np.float32)
    cam[0, 0], cam[1, 1] = 0.5, 0.25
    out = np.asarray(masked_rgb(rgb, cam))
    assert out[0, 0].tolist() == [250, 250, 250] and out[1, 1].tolist() == [125, 125, 125]
    assert out[3, 3].tolist() == [0, 0, 0]


def test_selection_uses_clips_own_preprocessing():
    """A 500x375 VOC image: open_clip resizes the short side to 224 and the long side to 298 (truncating, not
    rounding to 299), then centre-crops; the selection's input must be exactly that (issue 9 item 5)."""
    import open_clip
    from PIL import Image
    from wsss_engine.models.clip_model import OPENAI_MEAN, OPENAI_STD, ClipScorer

    tiny = tiny_clip()
    clip = ClipScorer(tiny.model, tiny.tokenizer, OPENAI_MEAN, OPENAI_STD, image_size=224)
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8))
    assert clip.preprocess.transforms[0](img).size == (298, 224)
    ours = clip.normalize(clip.preprocess(img)[None])
    theirs = open_clip.image_transform(224, is_train=False, mean=OPENAI_MEAN, std=OPENAI_STD)(img)[None]
    assert ours.shape == (1, 3, 224, 224)
    torch.testing.assert_close(ours, theirs)


def test_offline_selection_scores_every_candidate(tmp_path):
    root = make_voc_root(tmp_path / "data", n=6)
    labels = json.loads((root / "labels.json").read_text())
    rng = np.random.default_rng(0)
    for iid, names in labels.items():
        keys = np.array(sorted(CLASSES.index(n) for n in names))[::-1].copy()  # any order on disk
        save_cam(tmp_path / "cams" / f"{iid}.npy", keys, rng.random((len(keys), 8, 8)), rng.random((len(keys), 32, 32)))
    clip = tiny_clip()
    bank = SynonymBank.from_dict(BANK, CLASSES)
    from PIL import Image

    items = ((i, np.asarray(Image.open(root / "JPEGImages" / f"{i}.png").convert("RGB"))) for i in sorted(labels))
    images = select_offline(items, tmp_path / "cams", clip, bank, CLASSES, batch_size=4)
    assert set(images) == set(labels)
    for iid, per_class in images.items():
        assert list(per_class) == sorted(labels[iid], key=CLASSES.index)  # class-ascending
        for cls, entry in per_class.items():
            assert set(entry["scores"]) == set(BANK[cls])
            assert entry["word"] == max(entry["scores"], key=entry["scores"].get)
    stats = selection_stats(images, CLASSES, bank)
    assert sum(sum(c.values()) for c in stats.values()) == sum(len(v) for v in labels.values())


def test_offline_selection_keeps_finished_batches_when_cancelled(tmp_path):
    from wsss_engine.errors import Cancelled

    rgb = np.full((32, 32, 3), 200, np.uint8)
    for i in range(5):
        save_cam(tmp_path / f"i{i}.npy", np.array([0]), np.ones((1, 8, 8)), np.ones((1, 32, 32)))
    calls = []

    def cancel_on_fifth():
        calls.append(1)
        if len(calls) == 5:
            raise Cancelled()

    result: dict = {}
    with pytest.raises(Cancelled):
        select_offline(
            ((f"i{i}", rgb) for i in range(5)),
            tmp_path,
            tiny_clip(),
            SynonymBank.from_dict(BANK, CLASSES),
            CLASSES,
            batch_size=2,
            check_cancelled=cancel_on_fifth,
            result=result,
        )
    assert sorted(result) == ["i0", "i1", "i2", "i3"]  # two full batches were scored before the cancel


def test_bank_errors_name_file_and_class(tmp_path):
    bad = tmp_path / "bank.json"
    cases = [
        ({"red": ["red"], "purple": ["violet"]}, "purple"),
        ({"red": []}, "empty"),
        ({"red": ["red", "Red "]}, "twice"),
        ({"red": ["red", "red"]}, "twice"),
        ({"red": ["  "]}, "blank"),
    ]
    for data, needle in cases:
        bad.write_text(json.dumps(data))
        with pytest.raises(ConfigInvalid) as err:
            SynonymBank.load(bad, CLASSES)
        assert str(bad) in str(err.value) and needle in str(err.value), str(err.value)
        assert err.value.path == str(bad)
    with pytest.raises(ConfigInvalid):
        SynonymBank.load(tmp_path / "missing.json", CLASSES)
    bank = SynonymBank.from_dict({"$schema": "x", "red": ["red", "crimson"]}, CLASSES)
    assert bank.missing == ["green", "blue"] and bank.candidates("blue") == ["blue"]


@pytest.mark.skipif(not SHARED_BANK.exists(), reason="shared POLE data not present")
def test_official_pole_bank_validates_for_voc():
    bank = SynonymBank.load(SHARED_BANK, VOC)
    assert bank.missing == [] and bank.gt_word("person") == "player" and len(bank.candidates("sofa")) == 4


def test_pipeline_selects_resumably_then_trains_with_selected_prompts(tmp_path):
    root = make_voc_root(tmp_path / "data", n=8)
    clip = tiny_clip_checkpoint(tmp_path / "tiny_clip.pt")
    stages = [
        {
            "id": "baseline",
            "type": "baseline_cam",
            "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
            "batch_size": 4,
            "epochs": 1,
            "lr": 0.05,
        },
        {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "num_workers": 0},
        {"id": "select", "type": "select_prompts", "cams": "cams", "batch_size": 2},
        {
            "id": "clims",
            "type": "train_clims",
            "init": "baseline",
            "prompt": "selected",
            "adaptors": "learnable",
            "adaptor_form": "paper",
            "batch_size": 4,
            "epochs": 1,
            "log_every": 1,
        },
    ]
    cfg = write_config(tmp_path / "run.json", root, clip, stages)
    assert run_pipeline(cfg, tmp_path / "run", cancel_at=("cams", 0))[0] == "cancelled"
    # as if an earlier select_prompts attempt had been cancelled after 3 images: those are not redone
    labels = json.loads((root / "labels.json").read_text())
    done = {i: {c: {"word": BANK[c][1], "scores": {BANK[c][1]: 0.5}} for c in labels[i]} for i in sorted(labels)[:3]}
    (tmp_path / "run" / "stages" / "select").mkdir(parents=True)
    (tmp_path / "run" / "stages" / "select" / "partial_selection.json").write_text(json.dumps(done))
    status, error = run_pipeline(cfg, tmp_path / "run", resume=True)
    assert status == "completed", error
    assert "5 of 8 images to do" in (tmp_path / "run" / "engine.log").read_text()
    assert not (tmp_path / "run" / "stages" / "select" / "partial_selection.json").exists()
    selection = json.loads((tmp_path / "run" / "selection" / "prompt_selection.json").read_text())
    assert len(selection["images"]) == 8 and selection["words"]["red"] == ["red", "crimson"]
    assert all(selection["images"][i] == done[i] for i in done)
    stats = json.loads((tmp_path / "run" / "selection" / "selection_stats.json").read_text())
    assert set(stats) <= set(CLASSES)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    clims = next(s for s in run["stages"] if s["id"] == "clims")
    assert clims["summary"]["prompt"] == "selected" and clims["summary"]["steps"] == 2
