"""POLE adaptors, Eqs. 7–8 (METHOD §2.3): v* = r ⊙ A(v) + (1 − r) ⊙ v."""

from __future__ import annotations

import pytest
import torch

from wsss_engine.models.adaptors import Adaptor, ClipAdaptors

torch.set_num_threads(1)


def set_weights(adaptor: Adaptor) -> None:
    with torch.no_grad():
        adaptor.fc1.weight.copy_(torch.tensor([[1.0, -1.0, 0.0, 0.0]]))  # 4 -> 1
        adaptor.fc2.weight.copy_(torch.tensor([[1.0], [-2.0], [0.5], [0.0]]))  # 1 -> 4


def test_learnable_ratio_is_a_vector_initialised_to_0_2():
    a = ClipAdaptors(8)
    assert isinstance(a.image.ratio, torch.nn.Parameter) and a.image.ratio.shape == (8,)
    assert torch.all(a.text.ratio == 0.2)
    assert a.image.fc1.weight.shape == (2, 8) and a.image.fc1.bias is None and a.image.fc2.bias is None


def test_fixed_ratio_is_a_scalar_buffer_not_trained():
    a = Adaptor(8, ratio="fixed")
    assert "ratio" not in dict(a.named_parameters()) and a.ratio.shape == ()
    assert float(a.ratio) == pytest.approx(0.2)


def test_paper_and_code_forms_by_hand():
    v = torch.tensor([[3.0, 1.0, 2.0, -1.0]])
    # A's hidden unit: ReLU(3 - 1) = 2 -> W2 gives (2, -4, 1, 0)
    paper, code = Adaptor(4, form="paper"), Adaptor(4, form="code")
    set_weights(paper)
    set_weights(code)
    a_paper = torch.tensor([[2.0, -4.0, 1.0, 0.0]])
    a_code = torch.tensor([[2.0, 0.0, 1.0, 0.0]])  # trailing ReLU of the released code
    assert torch.allclose(paper(v), 0.2 * a_paper + 0.8 * v)
    assert torch.allclose(code(v), 0.2 * a_code + 0.8 * v)


def test_ratio_receives_gradient_and_is_unconstrained():
    a = Adaptor(4)
    opt = torch.optim.SGD(a.parameters(), lr=10.0)
    v = torch.randn(5, 4)
    for _ in range(3):
        opt.zero_grad()
        (-a(v).sum() * 10).backward()
        opt.step()
    assert a.ratio.grad is not None
    assert (a.ratio.detach() - 0.2).abs().max() > 0.1  # it moved; nothing clamps it to [0, 1]


def test_bad_options_are_rejected():
    with pytest.raises(ValueError):
        Adaptor(4, form="other")
    with pytest.raises(ValueError):
        Adaptor(4, ratio="other")
