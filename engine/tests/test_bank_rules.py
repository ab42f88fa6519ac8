"""The bank rules shared with the editor (schemas/synonym-bank.rules.json): the loader gives every rule's example
the verdict the file states (an error raises ConfigInvalid with the rule's message and hint apart; a warning
loads with the warning kept). test/unit/synonyms/bankRules.test.ts checks the editor against the same examples."""

from __future__ import annotations

import json

import pytest

from wsss_engine.errors import ConfigInvalid
from wsss_engine.json_input import UTF8_BOM
from wsss_engine.pole.bank_rules import check_bank, rules, word_key
from wsss_engine.pole.synonym_bank import SynonymBank

CLASSES = ["aeroplane", "cat"]


def _write(tmp_path, example) -> str:
    path = tmp_path / "bank.json"
    path.write_bytes((UTF8_BOM if example.get("bom") else b"") + json.dumps(example["bank"]).encode())
    return path


@pytest.mark.parametrize("rule", sorted(rules()))
def test_loader_verdict_matches_the_rules_file(tmp_path, rule):
    spec = rules()[rule]
    path = _write(tmp_path, spec["example"])
    message = spec["message"].split("{")[0]
    if spec["severity"] == "error":
        with pytest.raises(ConfigInvalid) as info:
            SynonymBank.load(path, CLASSES)
        assert info.value.path == str(path) and message in info.value.message
        assert info.value.hint == spec["hint"] and spec["hint"] not in info.value.message
    else:
        assert spec["severity"] == "warning"
        bank = SynonymBank.load(path, CLASSES)
        assert any(w.startswith(message) and spec["hint"] in w for w in bank.warnings), bank.warnings
    found = {f.rule: f.severity for f in check_bank(spec["example"]["bank"], spec["example"].get("bom", False))}
    assert found.get(rule) == spec["severity"]


def test_case_and_space_duplicate_names_both_spellings_and_clean_banks_pass(tmp_path):
    with pytest.raises(ConfigInvalid) as info:
        SynonymBank.from_dict({"aeroplane": ["aeroplane", "Aircraft ", "aircraft"]}, CLASSES, "b.json")
    assert '"Aircraft "' in info.value.message and '"aircraft"' in info.value.message
    assert word_key("  Potted   Plant ") == "potted plant"
    bank = SynonymBank.from_dict({"aeroplane": ["aeroplane", "aircraft"], "cat": ["cat", "kitty"]}, CLASSES)
    assert bank.warnings == [] and bank.words["aeroplane"] == ["aeroplane", "aircraft"]
