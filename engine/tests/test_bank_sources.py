"""Synonym banks from WordNet 3.0 (Debian's wordnet-base, read by nltk) and from user word-vector files
(word2vec text/binary, GloVe, fastText .vec), the bank size k, `make-bank` and `synonyms/suggest`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from engine_client import EngineClient

from wsss_engine.cli import main as cli_main
from wsss_engine.errors import ConfigInvalid
from wsss_engine.pole import bank_sources, vector_bank, wordnet_bank
from wsss_engine.pole.synonym_bank import SCHEMA_PATH, SynonymBank

WORDNET = Path(wordnet_bank.default_dir())
needs_wordnet = pytest.mark.skipif(
    not (WORDNET / "data.noun").is_file(),
    reason=f"no WordNet database in {WORDNET}: apt-get install wordnet-base (scripts/install-test-deps.sh does)",
)
CONFIG_INVALID = -32001

# 4-d vectors: sofa ~ couch ~ settee, aeroplane ~ airplane ~ plane, table and river elsewhere
VECTORS = {
    "sofa": [1, 0.1, 0, 0],
    "couch": [1, 0.15, 0, 0],
    "settee": [1, 0.3, 0.05, 0],
    "aeroplane": [0, 0, 1, 0.1],
    "airplane": [0, 0, 1, 0.15],
    "plane": [0, 0.05, 1, 0.3],
    "table": [0.5, 1, 0, 0],
    "river": [0, 0, 0.2, 1],
    "sofa_bed": [1, 0.2, 0.1, 0.2],
    "x99": [1, 0.1, 0, 0.01],
}


def write_vectors(path: Path, fmt: str) -> Path:
    rows = [(w, np.asarray(v, np.float32)) for w, v in VECTORS.items()]
    if fmt == "word2vec-binary":
        with open(path, "wb") as f:
            f.write(f"{len(rows)} 4\n".encode())
            for w, v in rows:
                f.write(w.encode() + b" " + v.tobytes() + b"\n")
        return path
    lines = [f"{w} " + " ".join(f"{x:.4f}" for x in v) + (" " if fmt == "fasttext" else "") for w, v in rows]
    header = [] if fmt == "glove" else [f"{len(rows)} 4"]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return path


@needs_wordnet
def test_wordnet_bank_for_voc_classes():
    got = bank_sources.suggest(["aeroplane", "sofa", "person", "cow", "diningtable", "tvmonitor"], "wordnet", 4)
    assert got["aeroplane"][0] == "aeroplane" and {"airplane", "plane"} <= set(got["aeroplane"])
    assert got["sofa"][:2] == ["sofa", "couch"]
    assert got["person"][:2] == ["player", "person"]  # the CLIMS prompt word first, then the synset's lemmas
    assert got["diningtable"][0] == "dining table" and "television" in got["tvmonitor"]
    assert got["cow"][:2] == ["cow", "moo-cow"]
    assert all(len(w) == 4 and len({x.lower() for x in w}) == 4 for w in got.values())
    # the order is a ranking: a smaller size is a prefix of a larger one
    small = bank_sources.suggest(["aeroplane", "sofa"], "wordnet", 2)
    assert all(small[c] == got[c][:2] for c in small)
    # a class outside VOC takes its first noun sense; a named sense overrides
    assert bank_sources.suggest(["couch"], "wordnet", 3)["couch"][:2] == ["couch", "sofa"]
    cattle = bank_sources.suggest(["cow"], "wordnet", 3, senses={"cow": "cattle.n.01"})["cow"]
    assert cattle[1:] == ["cattle", "oxen"]
    with pytest.raises(ConfigInvalid, match="no synset 'cow.n.99'"):
        bank_sources.suggest(["cow"], "wordnet", 3, senses={"cow": "cow.n.99"})


def test_lexnames_is_the_documented_table():
    lines = wordnet_bank.lexnames_text().splitlines()
    assert len(lines) == 45 and lines[0] == "00\tadj.all\t3" and lines[6] == "06\tnoun.artifact\t1"
    assert lines[44] == "44\tadj.ppl\t3" and lines[43] == "43\tverb.weather\t2"


def test_missing_wordnet_database_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigInvalid, match=str(tmp_path)) as info:
        bank_sources.suggest(["sofa"], "wordnet", 3, wordnet_dir=str(tmp_path))
    assert "wordnet-base" in info.value.hint


@pytest.mark.parametrize("fmt", ["word2vec", "word2vec-binary", "fasttext", "glove"])
def test_vector_bank_in_each_format(tmp_path, fmt):
    path = write_vectors(tmp_path / ("v.bin" if fmt == "word2vec-binary" else "v.txt"), fmt)
    assert vector_bank.detect_format(path) == ("word2vec" if fmt == "fasttext" else fmt)
    got = bank_sources.suggest(["sofa", "aeroplane", "river", "zebra"], "vectors", 3, str(path))
    assert got["sofa"] == ["sofa", "couch", "settee"]  # by cosine; "x99" (digits) never
    assert got["aeroplane"] == ["aeroplane", "airplane", "plane"]
    assert got["zebra"] == ["zebra"]  # not in the vocabulary: only its own word
    assert bank_sources.suggest(["sofa"], "vectors", 5, str(path))["sofa"][3] == "sofa bed"


def test_bad_vector_files_are_named(tmp_path):
    broken = tmp_path / "broken.vec"
    broken.write_text("3 4\nsofa 1 0 0\ncouch x y z w\n")
    with pytest.raises(ConfigInvalid, match="broken.vec.*does not load"):
        bank_sources.suggest(["sofa"], "vectors", 3, str(broken))
    with pytest.raises(ConfigInvalid, match="gone.vec does not exist"):
        bank_sources.suggest(["sofa"], "vectors", 3, str(tmp_path / "gone.vec"))
    with pytest.raises(ConfigInvalid, match="needs a word-vector file"):
        bank_sources.suggest(["sofa"], "vectors", 3)
    with pytest.raises(ConfigInvalid, match="size 1"):
        bank_sources.suggest(["sofa"], "vectors", 1, str(broken))


def test_make_bank_writes_a_bank_with_its_source_and_a_run_takes_the_first_k(tmp_path, capsys):
    vectors = write_vectors(tmp_path / "glove.txt", "glove")
    out = tmp_path / "gen.synonyms.json"
    assert (
        cli_main(
            [
                "make-bank",
                "--source",
                "vectors",
                "--classes",
                "sofa,aeroplane",
                "--size",
                "3",
                "--vectors",
                str(vectors),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert data["$source"]["kind"] == "vectors" and data["$source"]["size"] == 3
    assert data["$source"]["file"] == str(vectors.resolve())
    bank = SynonymBank.load(out, ["sofa", "aeroplane"])
    assert bank.words["sofa"] == ["sofa", "couch", "settee"] and bank.source["kind"] == "vectors"
    assert SynonymBank.load(out, ["sofa", "aeroplane"], size=2).words == {
        "sofa": ["sofa", "couch"],
        "aeroplane": ["aeroplane", "airplane"],
    }
    assert (
        cli_main(
            [
                "make-bank",
                "--source",
                "vectors",
                "--classes",
                "sofa",
                "--vectors",
                str(tmp_path / "nope.txt"),
                "--out",
                str(out),
            ]
        )
        == 1
    )
    assert "nope.txt does not exist" in capsys.readouterr().err


def test_synonyms_suggest_over_the_real_engine(tmp_path):
    vectors = write_vectors(tmp_path / "w2v.txt", "word2vec")
    engine = EngineClient()
    try:
        got = engine.result(
            "synonyms/suggest",
            {"classes": ["sofa", "aeroplane"], "source": "vectors", "size": 2, "vectors": str(vectors)},
            timeout=120,
        )
        assert got == {"suggestions": {"sofa": ["sofa", "couch"], "aeroplane": ["aeroplane", "airplane"]}}
        error = engine.request(
            "synonyms/suggest",
            {"classes": ["sofa"], "source": "vectors", "size": 3, "vectors": str(tmp_path / "missing.vec")},
            timeout=60,
        )["error"]
        assert error["code"] == CONFIG_INVALID and "missing.vec" in error["message"]
        error = engine.request("synonyms/suggest", {"classes": ["sofa"], "source": "corpus", "size": 3})["error"]
        assert error["code"] == CONFIG_INVALID and "'corpus'" in error["message"]
        if (WORDNET / "data.noun").is_file():  # same ranking in another process (other hash seed): ties are stable
            classes = ["sofa", "cow", "bird", "boat", "train"]
            got = engine.result("synonyms/suggest", {"classes": classes, "source": "wordnet", "size": 5}, timeout=120)
            assert got["suggestions"] == bank_sources.suggest(classes, "wordnet", 5)
            assert got["suggestions"]["sofa"][:2] == ["sofa", "couch"]
    finally:
        engine.close()
