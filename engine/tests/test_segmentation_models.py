"""Segmenter networks (METHOD §5): DeepLabV2-R101 shapes, ASPP, MSC outputs, and the init-file key mappings."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import resnet50, resnet101

from wsss_engine.errors import ConfigInvalid
from wsss_engine.segmentation.deeplab import ASPP, MSC, DeepLabV2, DilatedResNet101, build_segmenter
from wsss_engine.segmentation.init_weights import detect_format, load_init

torch.set_num_threads(1)
R101_BLOCKS = (3, 4, 23, 3)


@pytest.fixture(scope="module")
def r101():
    torch.manual_seed(0)
    return build_segmenter({"arch": "deeplabv2_resnet101", "num_classes": 21})


def test_deeplabv2_r101_output_stride_8_and_msc_outputs(r101):
    r101.train()
    x = torch.randn(1, 3, 65, 65)
    with torch.no_grad():
        outputs = r101(x)
    # caffe layout (ceil-mode pool, stride on the 1x1 conv): 65 -> 33 -> 17 -> 9, as deeplab-pytorch's 321 -> 41
    assert [tuple(o.shape) for o in outputs] == [(1, 21, 9, 9), (1, 21, 5, 5), (1, 21, 7, 7), (1, 21, 9, 9)]
    fused = (
        torch.stack(
            [outputs[0], *[torch.nn.functional.interpolate(o, size=(9, 9), mode="bilinear") for o in outputs[1:3]]]
        )
        .max(0)
        .values
    )
    assert torch.allclose(outputs[3], fused)
    r101.eval()
    with torch.no_grad():
        assert torch.allclose(r101(x), outputs[3])  # evaluation returns the fused output only
    backbone = r101.base.backbone
    assert [b.conv2.dilation for b in backbone.layer3] == [(2, 2)] * 23
    assert [b.conv2.dilation for b in backbone.layer4] == [(4, 4)] * 3
    assert backbone.layer2[0].conv1.stride == (2, 2) and backbone.layer2[0].conv2.stride == (1, 1)
    # frozen BN: only convolutions (and the ASPP) are trainable, as deeplab-pytorch's get_params
    assert not any(p.requires_grad for n, p in backbone.named_parameters() if "bn" in n or "downsample.1" in n)


def test_aspp_sums_four_atrous_branches():
    torch.manual_seed(0)
    aspp = ASPP(8, 3, rates=(6, 12, 18, 24))
    assert [b.dilation for b in aspp.branches] == [(r, r) for r in (6, 12, 18, 24)]
    assert [b.padding for b in aspp.branches] == [(r, r) for r in (6, 12, 18, 24)]
    x = torch.randn(2, 8, 10, 10)
    with torch.no_grad():
        assert torch.allclose(aspp(x), sum(b(x) for b in aspp.branches))
    for b in aspp.branches:
        assert float(b.bias.detach().abs().sum()) == 0 and 0.005 < float(b.weight.detach().std()) < 0.015


def test_msc_eval_returns_the_pixelwise_max_and_param_groups_split_the_head():
    torch.manual_seed(0)
    model = build_segmenter(
        {"arch": "deeplabv2_small", "num_classes": 4, "aspp_rates": [1, 2], "small": {"width": 4, "out_channels": 8}}
    )
    assert isinstance(model, MSC) and isinstance(model.base, DeepLabV2)
    model.train()
    train_out = model(torch.randn(2, 3, 32, 32))
    assert len(train_out) == 4 and train_out[0].shape == (2, 4, 8, 8) and train_out[1].shape == (2, 4, 4, 4)
    single = MSC(model.base, scales=()).train()
    assert [o.shape for o in single(torch.randn(2, 3, 32, 32))] == [(2, 4, 8, 8)]  # msc_scales []: one loss term
    groups = model.param_groups()
    assert len(groups["head"]) == 2 and all(p.dim() == 4 for p in groups["head"])
    assert len(groups["head_bias"]) == 2 and all(p.dim() == 1 for p in groups["head_bias"])


def _deeplab_pytorch_state(ours: DeepLabV2) -> dict:
    """A state dict with deeplab-pytorch's DeepLabV1 key names (libs/models/resnet.py, deeplabv1.py) and our
    tensors' shapes, each tensor filled with a distinct value so the test can trace where it lands."""
    own = ours.state_dict()
    state, counter = {}, iter(range(1, 10**6))

    def put(name, like):
        state[name] = torch.full_like(own[like], float(next(counter)))

    for kind, ours_name in (("conv", "conv1"), ("bn", "bn1")):
        for leaf in ["weight"] if kind == "conv" else ["weight", "bias", "running_mean", "running_var"]:
            put(f"layer1.conv1.{kind}.{leaf}", f"backbone.{ours_name}.{leaf}")
    for stage, blocks in enumerate(R101_BLOCKS):
        for b in range(blocks):
            theirs, ours = f"layer{stage + 2}.block{b + 1}", f"backbone.layer{stage + 1}.{b}"
            for branch, n in (("reduce", 1), ("conv3x3", 2), ("increase", 3)):
                put(f"{theirs}.{branch}.conv.weight", f"{ours}.conv{n}.weight")
                for leaf in ("weight", "bias", "running_mean", "running_var"):
                    put(f"{theirs}.{branch}.bn.{leaf}", f"{ours}.bn{n}.{leaf}")
            if b == 0:
                put(f"{theirs}.shortcut.conv.weight", f"{ours}.downsample.0.weight")
                for leaf in ("weight", "bias", "running_mean", "running_var"):
                    put(f"{theirs}.shortcut.bn.{leaf}", f"{ours}.downsample.1.{leaf}")
    state["fc.weight"], state["fc.bias"] = torch.zeros(91, 2048, 1, 1), torch.zeros(91)  # the COCO classifier
    return state


def test_coco_deeplab_file_maps_onto_our_modules(r101):
    base = r101.base
    state = _deeplab_pytorch_state(base)
    assert detect_format(state) == "deeplab_coco"
    aspp_before = base.aspp.branches[0].weight.clone()
    result = load_init(base, state, "deeplab_coco")
    own = base.state_dict()
    assert torch.equal(own["backbone.layer3.22.bn3.running_var"], state["layer4.block23.increase.bn.running_var"])
    assert torch.equal(own["backbone.layer2.0.downsample.0.weight"], state["layer3.block1.shortcut.conv.weight"])
    assert torch.equal(own["backbone.conv1.weight"], state["layer1.conv1.conv.weight"])
    assert torch.equal(base.aspp.branches[0].weight, aspp_before)  # the 91-class fc is not our head
    assert result["loaded"] == len(state) - 2
    # a trained DeepLabV2-MSC file ("base." prefix, aspp.c{i}) maps too, ASPP included
    trained = {f"base.{k}": v for k, v in state.items() if not k.startswith("fc.")}
    trained.update({f"base.aspp.c{i}.weight": torch.full((21, 2048, 3, 3), 0.5) for i in range(4)})
    trained.update({f"base.aspp.c{i}.bias": torch.full((21,), 0.25) for i in range(4)})
    load_init(base, trained, "deeplab_coco")
    assert float(base.aspp.branches[3].bias[0]) == 0.25


def test_unknown_or_missing_keys_fail_clearly(r101):
    base = r101.base
    state = _deeplab_pytorch_state(base)
    state["layer6.block1.reduce.conv.weight"] = torch.zeros(1)
    with pytest.raises(ConfigInvalid, match="layer6.block1.reduce.conv.weight"):
        load_init(base, state, "deeplab_coco", "coco.pth")
    r50 = resnet50().state_dict()
    with pytest.raises(ConfigInvalid, match="lacks .* tensor"):
        load_init(base, r50, "torchvision", "r50.pth")  # layer3 has 6 blocks, not 23
    with pytest.raises(ConfigInvalid, match="do not fit a torchvision ResNet"):
        load_init(base, {**resnet101().state_dict(), "head.weight": torch.zeros(1)}, "torchvision")


def test_torchvision_resnet101_file_loads_into_the_torchvision_layout():
    torch.manual_seed(1)
    reference = resnet101()
    state = reference.state_dict()
    assert detect_format(state) == "torchvision"
    model = DeepLabV2(DilatedResNet101("torchvision"), 21)
    load_init(model, state, "torchvision")
    own = model.state_dict()
    for key in ("conv1.weight", "layer3.22.conv2.weight", "layer4.2.bn3.running_mean", "layer1.0.downsample.1.bias"):
        assert torch.equal(own[f"backbone.{key}"], state[key]), key
    assert model.backbone.layer2[0].conv2.stride == (2, 2) and not model.backbone.maxpool.ceil_mode


def test_predict_probs_pads_crops_and_fuses_scales_by_max():
    from wsss_engine.segmentation.inference import predict_probs

    torch.manual_seed(0)
    base = build_segmenter(
        {"arch": "deeplabv2_small", "num_classes": 3, "aspp_rates": [1, 2], "small": {"width": 4, "out_channels": 8}}
    ).base.eval()
    image = torch.randn(3, 20, 28)
    probs = predict_probs(base, image, scales=(1.0, 0.5), flip=True, input_size=32)
    assert probs.shape == (3, 20, 28) and torch.allclose(probs.sum(0), torch.ones(20, 28), atol=1e-5)
    one = predict_probs(base, image, scales=(1.0,), flip=False, input_size=None)
    # a horizontally symmetric image gives the same answer with and without flip averaging
    mirrored = torch.cat([image[:, :, :14], image[:, :, :14].flip(-1)], dim=2)
    assert torch.allclose(
        predict_probs(base, mirrored, scales=(1.0,), flip=True, input_size=None).flip(-1),
        predict_probs(base, mirrored, scales=(1.0,), flip=True, input_size=None),
        atol=1e-5,
    )
    assert not torch.allclose(one, probs)


def test_typed_params_keep_nulls_that_mean_something():
    from wsss_engine.stages.infer_segmenter import InferSegmenterParams
    from wsss_engine.stages.train_segmenter import TrainSegmenterParams

    infer = InferSegmenterParams.from_params({"model": "seg", "input_size": None, "scales": [1, 0.5]})
    assert infer.input_size is None and infer.scales == (1.0, 0.5) and infer.crf_settings().bilateral_sxy == 67
    train = TrainSegmenterParams.from_params({"masks": "pseudo_trainaug", "init": None, "small": {"width": 8}})
    assert train.init is None and dict(train.small) == {"width": 8} and train.iterations == 20000
    with pytest.raises(ConfigInvalid, match="needs 'masks'"):
        TrainSegmenterParams.from_params({})


def test_deeplabv3_starts_from_its_own_file_or_an_imagenet_resnet101():
    from torchvision.models.segmentation import deeplabv3_resnet101

    torch.manual_seed(2)
    model = build_segmenter({"arch": "deeplabv3_resnet101", "num_classes": 5}).base
    resnet = resnet101().state_dict()
    load_init(model, resnet, "torchvision")
    assert torch.equal(model.state_dict()["net.backbone.layer3.5.conv2.weight"], resnet["layer3.5.conv2.weight"])
    coco = deeplabv3_resnet101(weights=None, weights_backbone=None, num_classes=21, aux_loss=True).state_dict()
    assert detect_format(coco) == "torchvision_deeplabv3"
    result = load_init(model, coco, "torchvision_deeplabv3")
    assert sorted(result["skipped_head"]) == ["net.classifier.4.bias", "net.classifier.4.weight"]  # 21 vs 5 classes
    assert torch.equal(model.state_dict()["net.classifier.0.convs.0.0.weight"], coco["classifier.0.convs.0.0.weight"])
