"""train_segmenter -> infer_segmenter -> evaluate through the real pipeline on tiny VOC-layout worlds (METHOD §5):
the loss goes down, resume is exact, bad mask folders stop the stage at its start, predictions for real VOC val
ids are scored by the existing evaluator, and the preflight checks name what is missing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from shared_data import VOC2012, require, save_mask
from training_world import CLASSES, COLOURS, SELECTION_STAGES, make_voc_root, metrics, run_pipeline, write_config
from wsss_engine.data.labels import read_mask
from wsss_engine.errors import DatasetError, EngineError, WeightsMissing

torch.set_num_threads(1)


def seg_stage(masks, **extra):
    return {
        "id": "seg",
        "type": "train_segmenter",
        "masks": str(masks),
        "arch": "deeplabv2_small",
        "init": None,
        "small": {"width": 8, "out_channels": 16},
        "aspp_rates": [1, 2],
        "crop_size": 32,
        "iterations": 12,
        "batch_size": 4,
        "accumulate": 2,
        "lr": 0.01,
        "log_every": 1,
        "num_workers": 0,
        "checkpoint_every": 0,
        **extra,
    }


def infer_stage(**extra):
    return {
        "id": "segval",
        "type": "infer_segmenter",
        "model": "seg",
        "split": "train",
        "scales": [1.0, 0.5],
        "input_size": 0,
        **extra,
    }


def world_with_masks(tmp_path, n=16):
    """The training world plus exact masks (its squares' colours) in SegmentationClass."""
    root = make_voc_root(tmp_path / "data", n=n)
    (root / "SegmentationClass").mkdir()
    for path in sorted((root / "JPEGImages").iterdir()):
        image = np.asarray(Image.open(path).convert("RGB"))
        mask = np.zeros(image.shape[:2], np.uint8)
        for k, name in enumerate(CLASSES):
            mask[(image == COLOURS[name]).all(-1)] = k + 1
        save_mask(root / "SegmentationClass" / f"{path.stem}.png", mask)
    return root


def run_stages(tmp_path, root, stages, run="run", **kwargs):
    cfg = write_config(tmp_path / f"{run}.json", root, None, stages)
    return run_pipeline(cfg, tmp_path / run, **kwargs)


def test_train_infer_evaluate_small_segmenter(tmp_path):
    root = world_with_masks(tmp_path)
    # one scale: the random rescaling slows a 16-image world down more than a test can wait for
    stages = [
        seg_stage(root / "SegmentationClass", iterations=60, batch_size=8, scales=[1.0]),
        infer_stage(),
        {"id": "eval_seg", "type": "evaluate", "masks": "segval", "split": "train"},
    ]
    status, error = run_stages(tmp_path, root, stages)
    assert status == "completed", error
    losses = [m["loss"] for m in metrics(tmp_path / "run", "seg")]
    assert len(losses) == 60 and np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
    lrs = [m["lr"] for m in metrics(tmp_path / "run", "seg")]
    assert lrs[0] == pytest.approx(0.01 * (1 - 1 / 60) ** 0.9) and lrs[-1] < lrs[0]  # poly, per iteration
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "seg.pt", map_location="cpu", weights_only=True)
    groups = {g["name"]: g for g in ckpt["optimizer"]["param_groups"]}  # METHOD §5: 1x, 10x ASPP weights, 20x biases
    assert [groups[n]["initial_lr"] for n in ("backbone", "head", "head_bias")] == pytest.approx([0.01, 0.1, 0.2])
    assert [groups[n]["weight_decay"] for n in ("backbone", "head", "head_bias")] == [5e-4, 5e-4, 0.0]
    assert all(g["momentum"] == 0.9 for g in groups.values())
    written = sorted((tmp_path / "run" / "masks" / "segval").glob("*.png"))
    assert len(written) == 16 and Image.open(written[0]).mode == "P"
    report = json.loads((tmp_path / "run" / "reports" / "eval_seg.json").read_text())
    assert report["n_images"] == 16 and report["miou"] > 0.5  # colour squares are easy once trained


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_is_exact(tmp_path, optimizer):
    """SGD as the recipe (METHOD §5), Adam as the synthetic world's segmenter (its moments resume too)."""
    root = world_with_masks(tmp_path)
    stages = [seg_stage(root / "SegmentationClass", iterations=8, optimizer=optimizer)]
    assert run_stages(tmp_path, root, stages, "full")[0] == "completed"
    assert run_stages(tmp_path, root, stages, "cut", cancel_at=("seg", 3))[0] == "cancelled"
    assert run_stages(tmp_path, root, stages, "cut", resume=True)[0] == "completed"
    full, cut = (
        torch.load(tmp_path / r / "checkpoints" / "seg.pt", map_location="cpu", weights_only=True)
        for r in ("full", "cut")
    )
    assert full["step"] == cut["step"] == 8
    moments = [st for st in full["optimizer"]["state"].values() if "exp_avg" in st]
    assert bool(moments) == (optimizer == "adam")
    for key, value in full["model"].items():
        assert torch.equal(value, cut["model"][key]), key
    full_losses = {m["step"]: m["loss"] for m in metrics(tmp_path / "full", "seg")}
    assert {m["step"]: m["loss"] for m in metrics(tmp_path / "cut", "seg")} == full_losses


def test_accumulation_equals_one_large_batch(tmp_path):
    """training/loop.Trainer with accumulate=2 takes the step of the whole batch (loss / parts per micro-batch),
    for a network without batch statistics (DeepLabV2's BN is frozen, so the same holds there)."""
    from types import SimpleNamespace
    from wsss_engine.training.loop import LoopConfig, Trainer
    from wsss_engine.training.optim import OptimConfig, build_optimizer

    data = [
        {
            "image": torch.randn(3, 6, 6, generator=torch.Generator().manual_seed(i)),
            "mask": torch.randint(0, 4, (6, 6), generator=torch.Generator().manual_seed(100 + i)),
        }
        for i in range(8)
    ]
    weights = {}
    for parts in (1, 2):
        torch.manual_seed(0)
        model = torch.nn.Conv2d(3, 4, 3, padding=1)
        ctx = SimpleNamespace(
            device=torch.device("cpu"),
            log=lambda *a, **k: None,
            metrics=lambda *a, **k: None,
            progress=lambda *a, **k: None,
            check_cancelled=lambda: None,
            run=SimpleNamespace(checkpoint_path=lambda sid, n=parts: tmp_path / f"{sid}{n}.pt"),
        )
        optimizer, scheduler = build_optimizer(
            [{"name": "backbone", "params": list(model.parameters())}], OptimConfig(momentum_quirk=False, lr=0.1), 3
        )

        def step(batch, model=model):
            return torch.nn.functional.cross_entropy(model(batch["image"]), batch["mask"]), {}

        Trainer(
            ctx,
            "acc",
            "test",
            LoopConfig(batch_size=4, accumulate=parts, max_steps=3),
            data,
            model,
            {},
            optimizer,
            scheduler,
            step,
        ).run()
        weights[parts] = model.weight.detach().clone()
    assert torch.allclose(weights[1], weights[2], atol=1e-6)
    torch.manual_seed(0)
    assert not torch.allclose(weights[1], torch.nn.Conv2d(3, 4, 3, padding=1).weight)


@pytest.mark.parametrize(
    "breakage, expected",
    [
        ("missing", r"3 of 16 image\(s\) of list 'train' have no mask .* e\.g\. img_000, img_005, img_010"),
        ("empty", "holds no masks"),
        ("size", r"mask .*img_002\.png is 16x16 but image .*img_002\.png is 32x32"),
        ("values", r"mask .*img_004\.png has value 9; masks may only hold 0 \(background\), 1\.\.3"),
        ("ignore", "all-ignore"),
    ],
)
def test_bad_mask_folders_stop_the_stage_at_its_start(tmp_path, breakage, expected):
    root = world_with_masks(tmp_path)
    masks = tmp_path / "pseudo"
    masks.mkdir()
    for path in (root / "SegmentationClass").iterdir():
        mask = read_mask(path)
        if breakage == "ignore":
            mask[:] = 255
        save_mask(masks / path.name, mask)
    if breakage == "missing":
        for image_id in ("img_000", "img_005", "img_010"):
            (masks / f"{image_id}.png").unlink()
    elif breakage == "empty":
        for path in masks.iterdir():
            path.unlink()
    elif breakage == "size":
        save_mask(masks / "img_002.png", np.zeros((16, 16), np.uint8))
    elif breakage == "values":
        save_mask(masks / "img_004.png", np.full((32, 32), 9, np.uint8))
    status, error = run_stages(tmp_path, root, [seg_stage(masks)])
    assert status == "failed" and error["kind"] == "DatasetError", error
    import re

    assert re.search(expected, error["message"]), error["message"]
    assert error["hint"]
    assert not (tmp_path / "run" / "checkpoints" / "seg.pt").exists()  # nothing trained


def test_predictions_for_real_voc_val_ids_are_scored_by_the_evaluator(tmp_path):
    """A VOC-layout root with 4 real val ids: GT = the official val masks, 'photos' = the masks in palette colours
    at their real sizes. The segmenter trains on those masks, infer_segmenter writes one PNG per val id at its mask's
    size, and the evaluate stage's mIoU equals the confusion-matrix mIoU recomputed here from the written files."""
    val_masks = require(VOC2012 / "SegmentationClassAug_val")
    ids = sorted(p.stem for p in val_masks.iterdir())[:4]
    labels = json.loads((VOC2012 / "image_labels.json").read_text())
    root = tmp_path / "voc"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    for image_id in ids:
        with Image.open(val_masks / f"{image_id}.png") as png:
            png.save(root / "SegmentationClass" / f"{image_id}.png")
            png.convert("RGB").save(root / "JPEGImages" / f"{image_id}.png")
    (root / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(ids) + "\n")
    (root / "labels.json").write_text(json.dumps({i: labels[i] for i in ids}))
    config = {
        "name": "voc-val",
        "seed": 0,
        "device": "cpu",
        "synthetic": False,
        "dataset": {"root": str(root), "train_list": "val", "eval_list": "val"},
        "stages": [
            seg_stage(root / "SegmentationClass", iterations=4, crop_size=64),
            infer_stage(split="eval", scales=[1.0]),
            {"id": "eval_seg", "type": "evaluate", "masks": "segval"},
        ],
    }
    (tmp_path / "run.json").write_text(json.dumps(config))
    status, error = run_pipeline(tmp_path / "run.json", tmp_path / "run")
    assert status == "completed", error
    from wsss_engine.evaluation.miou import SemSegEvaluator

    evaluator = SemSegEvaluator(["background", *[f"c{i}" for i in range(20)]])
    for image_id in ids:
        pred = read_mask(tmp_path / "run" / "masks" / "segval" / f"{image_id}.png")
        gt = read_mask(val_masks / f"{image_id}.png")
        assert pred.shape == gt.shape and pred.max() <= 20
        evaluator.process(gt, pred)
    report = json.loads((tmp_path / "run" / "reports" / "eval_seg.json").read_text())
    assert report["n_images"] == 4 and report["split"] == "val"
    assert report["miou"] == pytest.approx(evaluator.evaluate()["miou"])


def test_preflight_names_missing_external_inputs(tmp_path):
    from wsss_engine.preflight import Problems
    from wsss_engine.stages import infer_segmenter, train_segmenter

    root = world_with_masks(tmp_path, n=4)
    config = {
        "dataset": {"root": str(root), "train_list": "train", "eval_list": "train"},
        "stages": [{"id": "pseudo", "type": "x"}, {"id": "seg", "type": "train_segmenter"}],
    }
    resolve = lambda p: tmp_path / p  # noqa: E731
    train_segmenter.run.preflight(config, {"masks": "pseudo", "init": None}, resolve)  # earlier stage: skipped

    def problems(check, params):
        with pytest.raises(Problems) as found:
            check(config, params, resolve)
        return [(type(e), e.message) for e in found.value.problems]

    [(kind, message)] = problems(train_segmenter.run.preflight, {"masks": "elsewhere", "init": None})
    assert kind is DatasetError and "'masks' folder" in message and "elsewhere does not exist" in message
    [(kind, message)] = problems(train_segmenter.run.preflight, {"masks": "pseudo", "init": "models/coco.pth"})
    assert kind is WeightsMissing and "coco.pth do not exist" in message
    both = problems(train_segmenter.run.preflight, {"masks": "elsewhere", "init": "models/coco.pth"})
    assert {k for k, _ in both} == {DatasetError, WeightsMissing}  # every problem at once
    infer_segmenter.run.preflight(config, {"model": "seg"}, resolve)
    [(kind, message)] = problems(infer_segmenter.run.preflight, {"model": "other/seg.pt"})
    assert "seg.pt does not exist" in message
    try:
        from wsss_engine.refine.crf import crf_available
    except ImportError:
        crf_available = None
    if crf_available is None or not crf_available():
        [(kind, message)] = problems(infer_segmenter.run.preflight, {"model": "seg", "crf": True})
        assert issubclass(kind, EngineError) and "CRF" in message
    else:
        infer_segmenter.run.preflight(config, {"model": "seg", "crf": True}, resolve)


def test_crf_post_processing_keeps_the_sizes_and_maps_the_reference_parameters(tmp_path):
    crf = pytest.importorskip("wsss_engine.refine.crf")
    if not crf.crf_available():
        pytest.skip("the dense CRF package is not installed")
    from wsss_engine.segmentation.inference import CrfParams, crf_refine

    params = CrfParams.from_reference(iter_max=10, pos_w=3, pos_xy_std=1, bi_w=4, bi_xy_std=67, bi_rgb_std=3)
    assert params == CrfParams()
    image = np.zeros((20, 30, 3), np.uint8)
    image[:, 15:] = 200
    probs = np.full((2, 20, 30), 0.5, np.float32)
    probs[0, :, :14], probs[1, :, :14] = 0.9, 0.1
    probs[0, :, 16:], probs[1, :, 16:] = 0.2, 0.8
    out = crf_refine(image, probs, params)
    assert out.shape == (2, 20, 30)
    assert (out.argmax(0)[:, :15] == 0).all() and (out.argmax(0)[:, 15:] == 1).all()  # follows the edge


def test_synthetic_segmenter_entries_validate_and_fill_defaults(tmp_path):
    """The synthetic segmenter: Adam with one lr for backbone and head, its backbone from the variant's CAM stage
    when one is named (else a random small CNN), single-scale + flip inference; the schema's defaults (METHOD §5)
    fill the rest."""
    from wsss_engine.pipeline import load_run_config
    from wsss_engine.synthetic.variants import Budget, segmenter_stages

    root = make_voc_root(tmp_path / "data", n=4)
    cfg = write_config(tmp_path / "run.json", root, None, segmenter_stages("pseudo_trainaug", Budget()))
    stages = load_run_config(cfg).config["stages"]
    assert [s["type"] for s in stages] == ["train_segmenter", "infer_segmenter", "evaluate"]
    assert stages[0]["optimizer"] == "adam" and stages[0]["head_lr_mult"] == stages[0]["head_bias_lr_mult"] == 1.0
    assert stages[0]["momentum"] == 0.9 and stages[0]["poly_power"] == 0.9  # schema defaults (METHOD §5)
    assert stages[0].get("backbone_from") is None and stages[0]["small"] == {"width": 16, "out_channels": 64}
    assert stages[1]["fusion"] == "max" and stages[1]["crf"] is False and stages[1]["scales"] == [1.0]
    from_cam = segmenter_stages("rw", Budget(), 96, model="clims")[0]
    assert from_cam["backbone_from"] == "clims" and "small" not in from_cam and from_cam["aspp_rates"] == [1, 3, 4, 6]
    assert "backbone_from" not in segmenter_stages("rw", Budget(seg_backbone_from=False), 64, "clims")[0]


def test_a_diverging_loss_stops_with_a_reason(tmp_path):
    root = world_with_masks(tmp_path, n=8)
    status, error = run_stages(tmp_path, root, [seg_stage(root / "SegmentationClass", iterations=20, lr=1e12)])
    assert status == "failed" and "the loss is" in error["message"] and "lower lr" in error["hint"], error


def test_backbone_from_starts_the_small_segmenter_from_a_cam_network(tmp_path):
    """The synthetic world's stand-in for the recipe's pretrained init (METHOD §5): the segmenter's backbone takes
    the CAM network's small CNN (its width, channels and weights); with a negligible lr its convolutions stay
    those weights. A backbone_from on another arch stops the stage with a ConfigInvalid naming the fix."""
    root = world_with_masks(tmp_path)
    cam = {**SELECTION_STAGES[0], "id": "base", "num_workers": 0}  # a small_cnn of width 8, 16 channels
    seg = seg_stage(root / "SegmentationClass", iterations=2, lr=1e-12, backbone_from="base", small={"width": 4})
    status, error = run_stages(tmp_path, root, [cam, seg, infer_stage()])
    assert status == "completed", error
    load = lambda n: torch.load(tmp_path / "run" / "checkpoints" / f"{n}.pt", map_location="cpu", weights_only=True)  # noqa: E731
    base, trained = load("base"), load("seg")
    assert trained["model_meta"]["small"] == {"width": 8, "out_channels": 16}
    convs = [k for k in base["model"] if k.startswith("backbone.") and k.endswith(".0.weight")]
    assert convs and all(torch.allclose(base["model"][k], trained["model"][f"base.{k}"], atol=1e-6) for k in convs)
    assert not torch.allclose(base["model"][convs[0]], torch.zeros_like(base["model"][convs[0]]))
    bad = {**seg, "arch": "deeplabv2_resnet101"}
    status, error = run_stages(tmp_path, root, [cam, bad], run="bad")
    assert status == "failed" and "backbone_from" in str(error)
