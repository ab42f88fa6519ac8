"""VOC-layout datasets on the real photos (labels, masks, METHOD §1.1 transforms) and bad-input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from shared_data import PHOTOS, photo_ids, require, save_mask, small_photo_root
from wsss_engine.data.layout import VOC_CLASSES
from wsss_engine.data.transforms import IMAGENET_MEAN, IMAGENET_STD, EvalTransform, TrainTransform
from wsss_engine.data.voc import VOCDataset, VOCMultiScaleDataset, collate_skipping_none
from wsss_engine.errors import DatasetError

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def photos():
    return VOCDataset(require(PHOTOS), None, "voc", with_mask=True)


def test_photo_labels_come_from_labels_json(photos):
    labels = json.loads((PHOTOS / "labels.json").read_text())
    assert len(photos) == 108 and photos.ids == sorted(labels)
    assert photos.label_source.endswith("labels.json")
    for image_id in photos.ids[:40]:
        vec = photos.label_vector(image_id)
        assert sorted(VOC_CLASSES[i] for i in torch.nonzero(vec).flatten()) == sorted(labels[image_id])
    counts = torch.stack([photos.label_vector(i) for i in photos.ids]).sum(0)
    assert counts[VOC_CLASSES.index("person")] == 71 and counts[VOC_CLASSES.index("cow")] == 0  # README counts


def test_labels_derived_from_masks_agree_with_json(photos):
    from_masks = VOCDataset(PHOTOS, None, "voc", labels="masks")
    assert from_masks.label_source == "masks"
    assert from_masks.labels == photos.labels


def test_item_has_normalised_image_label_and_mask(photos):
    item = photos[photos.ids.index("2011_000003")]
    image = np.array(Image.open(PHOTOS / "JPEGImages" / "2011_000003.jpg").convert("RGB"), np.float32) / 255
    h, w = image.shape[:2]
    assert item["image"].shape == (3, h, w) and item["mask"].shape == (h, w)
    restored = item["image"].permute(1, 2, 0).numpy() * np.array(IMAGENET_STD) + np.array(IMAGENET_MEAN)
    np.testing.assert_allclose(restored, image, atol=1e-5)
    assert set(item["mask"].unique().tolist()) == {0, 5, 15, 255}  # bottle, person, VOC border
    assert item["label"].sum() == 2


def test_train_transform_shapes_padding_and_flip_statistics():
    gen = torch.Generator().manual_seed(0)
    ds = VOCDataset(require(PHOTOS), None, "voc", TrainTransform((320, 640), 512, generator=gen), with_mask=True)
    longs, flips = [], 0
    for i in range(12):
        item = ds[i]
        assert item["image"].shape == (3, 512, 512) and item["mask"].shape == (512, 512)
        padded = (item["image"] == 0).all(0)
        # padding is exactly the zero (= mean colour) region, and the mask is 255 there
        assert bool((item["mask"][padded] == 255).all())
        content = ~padded
        longs.append(max(content.any(0).sum().item(), content.any(1).sum().item()))
    assert all(320 <= s <= 512 for s in longs) and len(set(longs)) > 3
    # hflip p=0.5: with an identity resize and a crop as large as the long side, every draw is the image or
    # its mirror placed at a random offset
    img = ds.read_image(ds.ids[0])
    t = TrainTransform((max(img.size),) * 2, crop_size=max(img.size), generator=torch.Generator().manual_seed(1))
    plain = EvalTransform()(img)[0]
    for _ in range(40):
        out = _unpad(t(img)[0])
        assert torch.equal(out, plain) or torch.equal(out, plain.flip(-1))
        flips += int(torch.equal(out, plain.flip(-1)))
    assert 8 <= flips <= 32  # Binomial(40, 0.5)


def _unpad(t: torch.Tensor) -> torch.Tensor:
    content = ~(t == 0).all(0)
    rows, cols = torch.nonzero(content.any(1)).flatten(), torch.nonzero(content.any(0)).flatten()
    return t[:, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def test_train_transform_for_small_images():
    t = TrainTransform.for_image_size(64, generator=torch.Generator().manual_seed(0))
    assert t.resize_long == (40, 80) and t.crop_size == 64
    img = Image.new("RGB", (64, 48), (200, 10, 10))
    out, mask = t(img, np.ones((48, 64), np.uint8))
    assert out.shape == (3, 64, 64) and mask.shape == (64, 64)
    assert set(mask.unique().tolist()) <= {1, 255}


def test_multiscale_items_are_rescaled_flip_pairs(photos):
    ms = VOCMultiScaleDataset(PHOTOS, None, "voc", scales=(1.0, 0.5, 1.5))
    item = ms[0]
    h, w = item["size"]
    assert [tuple(p.shape) for p in item["images"]] == [
        (2, 3, h, w),
        (2, 3, round(h * 0.5), round(w * 0.5)),
        (2, 3, round(h * 1.5), round(w * 1.5)),
    ]
    for pack in item["images"]:
        assert torch.equal(pack[1], pack[0].flip(-1))
    assert torch.equal(item["images"][0][0], photos[0]["image"])


def test_missing_root_and_list_name_the_path(tmp_path):
    with pytest.raises(DatasetError, match="does not exist") as err:
        VOCDataset(tmp_path / "nowhere", "train")
    assert str(tmp_path / "nowhere") in str(err.value) and "JPEGImages" in err.value.hint
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no JPEGImages"):
        VOCDataset(tmp_path / "empty", "train")
    root = small_photo_root(tmp_path / "root", photo_ids(3))
    with pytest.raises(DatasetError, match="train_aug") as err:
        VOCDataset(root, "train_aug")
    assert "ImageSets" in str(err.value)


def test_corrupt_jpeg_is_named_and_can_be_skipped(tmp_path):
    ids = photo_ids(4)
    root = small_photo_root(tmp_path, ids)
    bad = root / "JPEGImages" / f"{ids[1]}.jpg"
    bad.write_bytes(bad.read_bytes()[:2000])  # truncated JPEG
    ds = VOCDataset(root, "all")
    with pytest.raises(DatasetError) as err:
        ds[1]
    assert str(bad) in str(err.value) and err.value.path == str(bad)
    assert '"skip_corrupt": true' in err.value.hint and "stage" in err.value.hint  # a stage parameter, and where
    assert "skip_corrupt" not in err.value.message
    skipping = VOCDataset(
        root, "all", transform=TrainTransform.for_image_size(64), skip_corrupt=True, log=lambda m: None
    )
    assert skipping[1] is None and skipping.skipped == [ids[1]]
    batch = collate_skipping_none([skipping[i] for i in range(4)])
    assert batch["id"] == [ids[0], ids[2], ids[3]] and batch["image"].shape == (3, 3, 64, 64)


def test_empty_labels_error_skip_or_keep(tmp_path):
    ids = photo_ids(3)
    root = small_photo_root(tmp_path, ids, long_side=48)
    labels = json.loads((root / "labels.json").read_text())
    labels[ids[2]] = []
    (root / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(DatasetError, match="no class labels") as err:
        VOCDataset(root, "all")
    assert ids[2] in str(err.value)
    assert VOCDataset(root, "all", empty_labels="skip", log=lambda m: None).ids == ids[:2]
    kept = VOCDataset(root, "all", empty_labels="keep")
    assert kept[2]["label"].sum() == 0


def test_missing_mask_is_named_when_masks_are_asked(tmp_path):
    ids = photo_ids(3)
    root = small_photo_root(tmp_path, ids, long_side=48)
    (root / "SegmentationClass" / f"{ids[0]}.png").unlink()
    VOCDataset(root, "all")  # fine without masks
    with pytest.raises(DatasetError, match="no ground-truth mask") as err:
        VOCDataset(root, "all", with_mask=True)
    assert f"{ids[0]}.png" in str(err.value)


def test_classes_json_xml_labels_sbd_lists_and_vocdevkit(tmp_path):
    voc = tmp_path / "VOCdevkit" / "VOC2012"
    (voc / "JPEGImages").mkdir(parents=True)
    (voc / "Annotations").mkdir()
    (voc / "SegmentationClassAug").mkdir()
    (voc / "ImageSets" / "Segmentation").mkdir(parents=True)
    for i, names in enumerate([["dog"], ["dog", "person"]]):
        Image.new("RGB", (20, 10)).save(voc / "JPEGImages" / f"2007_00000{i}.jpg")
        objects = "".join(f"<object><name>{n}</name></object>" for n in names)
        (voc / "Annotations" / f"2007_00000{i}.xml").write_text(f"<annotation>{objects}</annotation>")
        save_mask(voc / "SegmentationClassAug" / f"2007_00000{i}.png", np.full((10, 20), 12, np.uint8))
    (voc / "ImageSets" / "Segmentation" / "train_aug.txt").write_text(
        "/JPEGImages/2007_000000.jpg /SegmentationClassAug/2007_000000.png\n"
        "/JPEGImages/2007_000001.jpg /SegmentationClassAug/2007_000001.png\n"
    )
    ds = VOCDataset(tmp_path / "VOCdevkit", "train_aug", "voc", with_mask=True)
    assert ds.root == voc and ds.ids == ["2007_000000", "2007_000001"]
    assert ds.label_source.endswith("Annotations")
    assert ds.labels["2007_000001"] == [VOC_CLASSES.index("dog"), VOC_CLASSES.index("person")]
    assert ds[0]["mask"].unique().tolist() == [12]
    # any VOC-layout root with its own classes.json (the synthetic world)
    world = tmp_path / "world"
    (world / "JPEGImages").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(world / "JPEGImages" / "w0.jpg")
    (world / "classes.json").write_text(json.dumps(["boat", "Wheeled Box"]))
    (world / "labels.json").write_text(json.dumps({"w0": ["wheeled box"]}))
    ds = VOCDataset(world, "all")
    assert ds.classes == ["boat", "Wheeled Box"] and ds[0]["label"].tolist() == [0.0, 1.0]
    with pytest.raises(DatasetError, match="not in the class list"):
        VOCDataset(world, "all", "voc")


def test_photos_copy_is_untouched():
    # the tests above only ever write into tmp copies
    assert sorted(p.name for p in require(PHOTOS).iterdir()) == sorted(
        ["JPEGImages", "README.md", "SegmentationClass", "labels.json", "sources.json"]
    )


def test_synthetic_world_root(tmp_path):
    from wsss_engine.synthetic.world import WorldParams, write_world

    write_world(WorldParams(n_train_aug=12, n_train=6, n_val=4), tmp_path)
    classes = json.loads((tmp_path / "classes.json").read_text())
    ds = VOCDataset(tmp_path, "train_aug", None, TrainTransform.for_image_size(64), with_mask=True)
    assert ds.classes == classes and len(ds) == 12
    assert ds.labels == VOCDataset(tmp_path, "train_aug", classes, labels="masks", empty_labels="keep").labels
    item = ds[0]
    assert item["image"].shape == (3, 64, 64) and item["label"].shape == (len(classes),)
    assert VOCDataset(tmp_path, "train").ids == ds.ids[:6]


def test_dataset_with_a_log_callback_pickles_for_spawned_workers(tmp_path):
    import pickle

    root = small_photo_root(tmp_path, photo_ids(2), long_side=32)
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=(1.0, 0.5), log=lambda m: None)
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.ids == ds.ids and copy.labels == ds.labels
    assert torch.equal(copy[1]["images"][1], ds[1]["images"][1])
