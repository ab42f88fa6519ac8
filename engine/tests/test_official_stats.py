"""pole-stats: counts of the authors' prompt selection (METHOD §2.2 table) from JSON and from pickles."""

import json
import pickle
import subprocess
import sys

import pytest

from shared_data import SHARED_DATA
from wsss_engine.errors import DatasetError
from wsss_engine.pole.official_stats import load_selection, official_stats, selection_counts, word_of_prompt

SHARED = SHARED_DATA / "pole"
SELECTION = SHARED / "selected_cls_train_aug.json"
BANK = SHARED / "synonyms_chatgpt_4.json"


@pytest.mark.skipif(not SELECTION.exists(), reason="shared POLE data not present")
def test_shared_selection_matches_method_table():
    stats = official_stats(SELECTION)
    assert stats["format"] == "json" and stats["images"] == 10582
    sofa = stats["counts"]["sofa"]
    assert sum(sofa.values()) == 649 and sofa["couch"] == 518  # METHOD §2.2: couch 80%
    person = stats["counts"]["person"]
    assert sum(person.values()) == 4155 and max(person, key=person.get) == "player"
    total = sum(sum(c.values()) for c in stats["counts"].values())
    bank = json.loads(BANK.read_text())
    gt = sum(stats["counts"][c].get(words[0], 0) for c, words in bank.items())
    assert abs(gt / total - 0.463) < 0.005  # "GT wins on only 46.3%"


def test_pickled_dict_and_prompt_lists(tmp_path):
    bank = {"bicycle": ["bicycle", "bike"], "motorbike": ["motorbike", "bike"], "sofa": ["sofa", "couch"]}
    bank_path = tmp_path / "bank.json"
    bank_path.write_text(json.dumps(bank))
    as_dict = tmp_path / "dict.pkl"
    as_dict.write_bytes(pickle.dumps({"2007_000001": {"sofa": "couch"}}, protocol=2))
    assert official_stats(as_dict)["counts"] == {"sofa": {"couch": 1}}
    prompts = {
        "2007000002": ["a photo of bike.", "a photo of bike."],  # bicycle then motorbike: unique
        "2007000003": ["a photo of bike."],  # either class: ambiguous
        "2007000004": ["a photo of bicycle.", "a photo of couch."],
    }
    as_list = tmp_path / "prompts.pkl"
    as_list.write_bytes(pickle.dumps(prompts, protocol=2))
    stats = official_stats(as_list, bank_path)
    assert stats["format"] == "pickle" and stats["ambiguous"] == 1
    assert stats["counts"] == {"bicycle": {"bike": 1, "bicycle": 1}, "motorbike": {"bike": 1}, "sofa": {"couch": 1}}


def test_hostile_pickle_is_refused(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("ran code",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": Boom()}, protocol=2))
    with pytest.raises(DatasetError, match="refusing"):
        load_selection(path)


def test_prompt_lists_need_a_bank():
    with pytest.raises(DatasetError, match="without class names"):
        selection_counts({"a": ["a photo of cat."]})
    assert word_of_prompt("A photo of dinner table.") == "dinner table"


def test_cli_prints_json(tmp_path):
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"1": {"cat": "feline"}, "2": {"cat": "cat"}}))
    out = subprocess.run(
        [sys.executable, "-m", "wsss_engine", "pole-stats", str(path)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["counts"] == {"cat": {"feline": 1, "cat": 1}}
    bad = subprocess.run(
        [sys.executable, "-m", "wsss_engine", "pole-stats", str(tmp_path / "none")], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "pole-stats" in bad.stderr
