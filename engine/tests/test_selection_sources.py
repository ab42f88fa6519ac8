"""The authors' prompt selection as a train_clims `selection` source (issue 9 item 3, METHOD §2.2).

Uses the real selection file in the shared data (skipped when absent), mapped onto real train_aug ids with their
real image labels; the pickle form (ids without "_", "a photo of {w}." per GT class in class order) is built from
the same file and must give the same table.
"""

from __future__ import annotations

import json
import pickle

import pytest

from shared_data import SHARED_DATA, require
from wsss_engine.data.layout import VOC_CLASSES
from wsss_engine.errors import ConfigInvalid, DatasetError
from wsss_engine.pole.selection_sources import read_word_table

SELECTION = SHARED_DATA / "pole" / "selected_cls_train_aug.json"
LABELS = SHARED_DATA / "voc2012" / "image_labels.json"
IDS = ["2007_000032", "2007_000063", "2007_000250", "2007_000333"]


@pytest.fixture(scope="module")
def labels():
    names = json.loads(require(LABELS).read_text())
    return {i: [VOC_CLASSES.index(c) for c in names[i]] for i in IDS}


def test_authors_json_maps_onto_train_aug_ids(labels):
    table, source = read_word_table(require(SELECTION), labels, VOC_CLASSES)
    assert source == "authors' selection (json)" and set(table) == set(IDS)
    assert table["2007_000032"] == {"aeroplane": "plane", "person": "human"}
    assert table["2007_000250"] == {"bottle": "bottle", "diningtable": "dinner table"}
    assert all(set(table[i]) == {VOC_CLASSES[k] for k in labels[i]} for i in IDS)


def test_authors_pickle_of_prompt_lists_gives_the_same_table(labels, tmp_path):
    authors = json.loads(require(SELECTION).read_text())
    released = {
        i.replace("_", ""): [f"a photo of {authors[i][VOC_CLASSES[k]]}." for k in sorted(labels[i])] for i in IDS
    }
    path = tmp_path / "GPT_v2_4.json"  # a pickle despite the extension, as released
    path.write_bytes(pickle.dumps(released, protocol=2))
    table, source = read_word_table(path, labels, VOC_CLASSES)
    assert source == "authors' selection (pickle)"
    assert table == {i: authors[i] for i in IDS}


def test_prompt_count_must_match_the_labels(labels, tmp_path):
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps({"2007000032": ["a photo of plane."]}, protocol=2))
    with pytest.raises(ConfigInvalid, match="1 prompt.*2 labelled"):
        read_word_table(path, labels, VOC_CLASSES)


def test_pickle_that_would_run_code_is_refused(labels, tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"2007000032": print}, protocol=2))
    with pytest.raises(DatasetError, match="refusing to load .*print"):
        read_word_table(path, labels, VOC_CLASSES)
