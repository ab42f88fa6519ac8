"""Multi-scale + flip CAM inference (METHOD §3.1) with a small random-weight CAM network on real photos."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from shared_data import photo_ids, small_photo_root
from wsss_engine.data.cam_files import cam_path, load_cam
from wsss_engine.data.transforms import normalize, pil_rescale
from wsss_engine.data.voc import VOCMultiScaleDataset
from wsss_engine.errors import Cancelled
from wsss_engine.evaluation.multiscale_cams import infer_multiscale
from wsss_engine.models.cam_net import CamNet
from wsss_engine.stages.infer_cams import infer_cams

torch.set_num_threads(1)
SCALES = (1.0, 0.5, 1.5, 2.0)
CPU = torch.device("cpu")


def small_model(seed: int = 0) -> CamNet:
    torch.manual_seed(seed)
    model = CamNet({"name": "small_cnn", "width": 8, "out_channels": 16}, num_classes=20).eval()
    model.classifier.weight.data.abs_()  # positive maps for every class, so max-normalisation is exercised
    return model


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """5 real photos at 64 px long side, saved as PNG, plus the horizontal mirror of the first one."""
    tmp = tmp_path_factory.mktemp("photos64")
    ids = photo_ids(5)
    root = small_photo_root(tmp, ids, long_side=64)
    first = Image.open(root / "JPEGImages" / f"{ids[0]}.jpg")
    for image_id in ids:
        jpg = root / "JPEGImages" / f"{image_id}.jpg"
        Image.open(jpg).save(jpg.with_suffix(".png"))
        jpg.unlink()
    first.transpose(Image.FLIP_LEFT_RIGHT).save(root / "JPEGImages" / "mirror.png")
    labels = json.loads((root / "labels.json").read_text())
    labels["mirror"] = labels[ids[0]]
    (root / "labels.json").write_text(json.dumps(labels))
    (root / "ImageSets" / "Segmentation" / "all.txt").write_text("\n".join([*ids, "mirror"]) + "\n")
    return root


def reference_cams(model, image: Image.Image, keys, scales=SCALES, stride=4):
    """METHOD §3.1 written out one scale at a time, as IRN's make_cam does (no batching across images)."""
    h, w = image.height, image.width
    strided, high = 0, 0
    up = ((h - 1) // stride + 1) * stride, ((w - 1) // stride + 1) * stride
    for s in scales:
        x = torch.from_numpy(normalize(pil_rescale(image, s)).transpose(2, 0, 1).copy())[None]
        with torch.no_grad():
            m = model.cam_forward(x)[0] + model.cam_forward(x.flip(-1))[0].flip(-1)
        m = m[keys][None]
        strided = (
            strided + F.interpolate(m, ((h - 1) // 4 + 1, (w - 1) // 4 + 1), mode="bilinear", align_corners=False)[0]
        )
        high = high + F.interpolate(m, up, mode="bilinear", align_corners=False)[0, :, :h, :w]
    norm = lambda t: t / (t.amax((1, 2), keepdim=True) + 1e-5)  # noqa: E731
    return norm(strided), norm(high)


def test_shapes_keys_and_max_normalisation(root, tmp_path):
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    summary = infer_cams(small_model(), ds, tmp_path, CPU, batch_size=3)
    assert summary["written"] == len(ds) == 6
    for image_id in ds.ids:
        rec = load_cam(cam_path(tmp_path, image_id))
        h, w = Image.open(ds.image_paths[image_id]).size[::-1]
        k = len(ds.labels[image_id])
        assert rec["keys"].tolist() == ds.labels[image_id]
        assert rec["cam"].shape == (k, (h + 3) // 4, (w + 3) // 4) and rec["cam"].dtype == np.float16
        assert rec["high_res"].shape == (k, h, w) and rec["high_res"].dtype == np.float16
        for maps in (rec["cam"], rec["high_res"]):
            np.testing.assert_allclose(maps.astype(np.float32).max(axis=(1, 2)), 1.0, atol=1e-3)
            assert maps.min() >= 0


def test_matches_one_scale_at_a_time_reference(root):
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    model = small_model(1)
    items = [ds[i] for i in range(len(ds))]
    batched = infer_multiscale(model, items, CPU, max_pairs=8)
    single = infer_multiscale(model, items, CPU, max_pairs=1)
    for item, b, s in zip(items, batched, single):
        torch.testing.assert_close(b["high_res"], s["high_res"], atol=1e-5, rtol=1e-4)
        strided, high = reference_cams(model, ds.read_image(item["id"]), b["keys"])
        torch.testing.assert_close(b["cam"], strided, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(b["high_res"], high, atol=1e-5, rtol=1e-4)


def test_flip_consistency(root, tmp_path):
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    infer_cams(small_model(2), ds, tmp_path, CPU, batch_size=6)
    original, mirrored = load_cam(cam_path(tmp_path, ds.ids[0])), load_cam(cam_path(tmp_path, "mirror"))
    assert original["high_res"].shape[-1] % 4 == 0  # width 64: every scale's map aligns with the crop
    for field in ("cam", "high_res"):
        np.testing.assert_allclose(
            mirrored[field].astype(np.float32), original[field][..., ::-1].astype(np.float32), atol=2e-3
        )
    assert not np.allclose(original["high_res"], original["high_res"][..., ::-1], atol=0.05)  # not trivially symmetric


def test_resume_skips_written_images_and_cancellation_keeps_finished_ones(root, tmp_path):
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=(1.0, 0.5))
    model = small_model(3)
    calls = []

    def cancel_on_second_batch():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled("test cancel")

    with pytest.raises(Cancelled):
        infer_cams(model, ds, tmp_path, CPU, batch_size=2, check_cancelled=cancel_on_second_batch)
    assert sorted(p.stem for p in tmp_path.glob("*.npy")) == sorted(ds.ids[:2])
    assert not list(tmp_path.glob(".*.tmp"))
    sentinel = cam_path(tmp_path, ds.ids[0])
    before = sentinel.read_bytes()
    sentinel.touch()
    progress = []
    summary = infer_cams(model, ds, tmp_path, CPU, batch_size=2, progress=lambda *a: progress.append(a))
    assert summary["resumed_from"] == 2 and summary["written"] == 4
    assert sentinel.read_bytes() == before
    assert progress[0][:2] == (2, 6) and progress[-1][:2] == (6, 6)
    again = infer_cams(model, ds, tmp_path, CPU, batch_size=2)
    assert again["written"] == 0 and again["resumed_from"] == 6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (AMP path)")
def test_cuda_amp_matches_cpu_fp32(root):
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    items = [ds[i] for i in range(len(ds))]
    cpu = infer_multiscale(small_model(4), items, CPU, max_pairs=8)
    gpu = infer_multiscale(small_model(4).cuda(), items, torch.device("cuda"), max_pairs=8, amp=True)
    for c, g in zip(cpu, gpu):
        assert torch.equal(c["keys"].cpu(), g["keys"].cpu())
        torch.testing.assert_close(g["high_res"], c["high_res"], atol=2e-2, rtol=0)  # fp16 network


def test_skip_corrupt_records_the_skipped_ids(root, tmp_path):
    """An unreadable image skipped by skip_corrupt is named in the summary, not only counted (issue 13)."""
    import shutil

    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    ds = VOCMultiScaleDataset(copy, "all", "voc", scales=(1.0,), skip_corrupt=True, log=lambda m: None)
    bad = ds.image_paths[ds.ids[2]]
    bad.write_bytes(bad.read_bytes()[:100])  # truncated
    summary = infer_cams(small_model(), ds, tmp_path / "cams", CPU, batch_size=2)
    assert summary["skipped"] == 1 and summary["skipped_ids"] == [ds.ids[2]]
    assert summary["written"] == 5 and summary["images"] == 6
