"""CAM inference throughput options (issue 11): asynchronous CAM writing, size buckets, channels_last and the
tensor input pipeline give the files of the plain synchronous path (METHOD §3.1)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from test_infer_cams import CPU, root, small_model  # noqa: F401 (root: the module's photo fixture)

from wsss_engine.data.cam_files import load_cam
from wsss_engine.data.encoded import EncodedVOCDataset
from wsss_engine.data.voc import VOCMultiScaleDataset
from wsss_engine.errors import Cancelled
from wsss_engine.inference.batching import in_order, size_buckets
from wsss_engine.runs.async_writer import AsyncWriter
from wsss_engine.stages.infer_cams import infer_cams

torch.set_num_threads(1)
SCALES = (1.0, 0.5)


def files(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.npy"))}


def test_async_writes_and_size_buckets_give_the_synchronous_files_byte_for_byte(root, tmp_path):  # noqa: F811
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    infer_cams(small_model(), ds, tmp_path / "sync", CPU, batch_size=2)
    infer_cams(small_model(), ds, tmp_path / "async", CPU, batch_size=2, async_write=True, bucket_sizes=True)
    sync = files(tmp_path / "sync")
    assert len(sync) == len(ds) == 6 and files(tmp_path / "async") == sync
    assert not list((tmp_path / "async").glob(".*.tmp"))


def test_channels_last_and_the_tensor_pipeline_stay_within_tolerance(root, tmp_path):  # noqa: F811
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    infer_cams(small_model(), ds, tmp_path / "ref", CPU, batch_size=3)
    infer_cams(small_model(), ds, tmp_path / "cl", CPU, batch_size=3, channels_last=True, async_write=True)
    enc = EncodedVOCDataset(root, "all", "voc", scales=SCALES)
    infer_cams(small_model(), enc, tmp_path / "tensor", CPU, batch_size=3, bucket_sizes=True, async_write=True)
    for name in files(tmp_path / "ref"):
        want = load_cam(tmp_path / "ref" / name)
        for other, atol in (("cl", 2e-3), ("tensor", 2e-2)):  # tensor: inputs within 2/255 of PIL's
            got = load_cam(tmp_path / other / name)
            assert got["keys"].tolist() == want["keys"].tolist()
            for field in ("cam", "high_res"):
                np.testing.assert_allclose(got[field].astype(np.float32), want[field].astype(np.float32), atol=atol)


def test_cancel_with_async_writes_keeps_complete_files_of_the_finished_chunks(root, tmp_path):  # noqa: F811
    ds = VOCMultiScaleDataset(root, "all", "voc", scales=SCALES)
    calls = []

    def cancel_on_second_chunk():
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled("test cancel")

    with pytest.raises(Cancelled):
        infer_cams(
            small_model(), ds, tmp_path, CPU, batch_size=2, async_write=True, check_cancelled=cancel_on_second_chunk
        )
    assert sorted(p.stem for p in tmp_path.glob("*.npy")) == sorted(ds.ids[:2])
    assert not list(tmp_path.glob(".*.tmp"))
    again = infer_cams(small_model(), ds, tmp_path, CPU, batch_size=2, async_write=True)
    assert again["resumed_from"] == 2 and again["written"] == 4


def test_a_failed_background_write_is_raised_in_the_caller_and_later_writes_are_dropped():
    done, gate = [], threading.Event()

    def fail():
        gate.wait(5)
        raise OSError("disk full")

    writer = AsyncWriter(max_pending=4)
    writer.submit(fail)
    writer.submit(done.append, 1)
    gate.set()
    with pytest.raises(OSError, match="disk full"):
        writer.close()
    assert done == [] and writer.written == 0


def test_the_queue_is_bounded_and_writes_keep_their_order():
    order, gate = [], threading.Event()
    writer = AsyncWriter(max_pending=2)
    writer.submit(gate.wait, 5)  # the thread holds this one
    writer.submit(order.append, 1)
    writer.submit(order.append, 2)
    blocked = threading.Thread(target=writer.submit, args=(order.append, 3))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # the third queued write waits for room
    gate.set()
    blocked.join(5)
    writer.close()
    assert order == [1, 2, 3] and writer.written == 4


def test_size_buckets_cover_every_image_once_with_uniform_chunks_first():
    sizes = [(375, 500), (500, 375), (375, 500), (333, 500), (375, 500), (500, 375), (375, 500)]
    indices = list(range(10, 17))
    chunks = size_buckets(indices, sizes, 2)
    assert sorted(i for c in chunks for i in c) == indices and all(len(c) <= 2 for c in chunks)
    size_of = dict(zip(indices, sizes))
    assert chunks[:3] == [[10, 12], [14, 16], [11, 15]]  # full chunks of one size, in first-appearance order
    assert all(len({size_of[i] for i in c}) == 1 for c in chunks[:3])
    assert in_order(indices, 3) == [[10, 11, 12], [13, 14, 15], [16]]
