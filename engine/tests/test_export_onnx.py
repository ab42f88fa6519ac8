"""ONNX export of the CAM network: onnxruntime output equals torch's for other batch sizes and image sizes."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch

from wsss_engine.models.cam_net import CamNet
from wsss_engine.stages.export_onnx import export_cam_onnx, export_metadata

ort = pytest.importorskip("onnxruntime", reason="pip install onnxruntime (engine test extra) to compare outputs")
torch.set_num_threads(1)


def run_both(model, path, shape):
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)))
    with torch.no_grad():
        expected = model.cam_forward(x).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["cams"], {"image": x.numpy()})[0], expected


@pytest.mark.parametrize(
    "backbone,stride",
    [
        ({"name": "small_cnn", "width": 8, "out_channels": 16}, 4),
        ({"name": "resnet50", "pretrained": None}, 16),
    ],
)
def test_onnx_matches_torch_with_dynamic_sizes(tmp_path, backbone, stride):
    torch.manual_seed(0)
    model = CamNet(backbone, num_classes=20).eval()
    path = export_cam_onnx(model, tmp_path / "cam_model.onnx", input_size=64)
    graph = onnx.load(path).graph
    assert [i.name for i in graph.input] == ["image"] and [o.name for o in graph.output] == ["cams"]
    for shape in [(1, 3, 64, 64), (2, 3, 80, 112), (1, 3, 75, 50)]:
        got, expected = run_both(model, path, shape)
        assert got.shape == expected.shape == (shape[0], 20, -(-shape[2] // stride), -(-shape[3] // stride))
        assert (got >= 0).all()  # ReLU CAMs
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-3)
    meta = export_metadata(model, [f"c{i}" for i in range(20)], 64, 18, synthetic=True)
    assert meta["stride"] == stride and meta["num_classes"] == 20 and meta["synthetic"] is True
    assert meta["mean"] == [0.485, 0.456, 0.406] and meta["std"] == [0.229, 0.224, 0.225]
    assert not list(tmp_path.glob(".*.onnx"))  # the temp file was renamed, not left behind
