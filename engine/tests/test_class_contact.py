"""The class-contact statistics (engine/benchmarks/class_contact.py, docs/SYNTHETIC-WORLD.md §3): contour pixels
are counted against the nearest other label with void skipped, so a VOC-style void band between two objects still
counts as a contact, and objects apart do not."""

from __future__ import annotations

import numpy as np

from benchmark_tools import load_tool
from wsss_engine.data.mask_files import save_mask


def _tool():
    return load_tool("class_contact")


def _pair(gap: int, void: bool = False) -> np.ndarray:
    """Two 20×10 objects (classes 1 and 2) side by side, ``gap`` columns apart (background or void between)."""
    gt = np.zeros((40, 60), np.uint8)
    gt[10:30, 10:20] = 1
    gt[10:30, 20 + gap : 30 + gap] = 2
    if void:
        gt[10:30, 20 : 20 + gap] = 255
    return gt


def test_contact_counts_the_shared_side_and_sees_through_a_void_band():
    tool = _tool()
    # each 20x10 object has 56 contour pixels; its 18 side pixels facing the other object (the two corners are as
    # near the background) meet another class
    assert tool.contacts(_pair(0)) == (112, 36)
    # VOC draws a void band between touching objects: the contact is still there, for the side pixels nearer the
    # other object (4 px, across the band) than the background above or below (12 of each side's 20)
    assert tool.contacts(_pair(3, void=True)) == (112, 24)
    # the same gap as background: the nearest other label is background, no contact
    assert tool.contacts(_pair(3)) == (112, 0)
    # a void band wider than max_gap is no contact either
    assert tool.contacts(_pair(5, void=True), max_gap=4) == (112, 0)


def test_measure_reads_a_list_of_masks(tmp_path):
    tool = _tool()
    single = np.zeros((40, 60), np.uint8)
    single[5:15, 5:15] = 3
    for name, gt in (("touch", _pair(0)), ("apart", _pair(3)), ("single", single)):
        save_mask(tmp_path / "masks" / f"{name}.png", gt)
    (tmp_path / "list.txt").write_text("touch\napart\nsingle\n")
    out = tool.main(["--masks", str(tmp_path / "masks"), "--list", str(tmp_path / "list.txt")])
    assert out["images"] == 3
    assert abs(out["multi_class"] - 2 / 3) < 1e-9 and abs(out["touching"] - 1 / 3) < 1e-9
    assert abs(out["contour_other_class"] - 36 / (2 * 112 + 36)) < 1e-9
