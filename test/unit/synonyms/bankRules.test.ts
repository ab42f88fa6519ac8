// The editor side of the bank rules shared with the engine (schemas/synonym-bank.rules.json): every rule's example
// gets the verdict the file states, with the hint apart from the message. engine/tests/test_bank_rules.py checks
// the engine's loader against the same examples, so a verdict cannot drift on one side only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bankProblems } from '../../../extension/panels/synonyms/bankDiagnostics';
import { BANK_RULES, wordKey, type BankRuleId } from '../../../extension/panels/synonyms/bankRules';
import { parseBank } from '../../../extension/panels/synonyms/synonymBankDocument';

const CLASSES = { names: ['aeroplane', 'cat'], source: 'test' };

for (const [id, rule] of Object.entries(BANK_RULES) as [BankRuleId, (typeof BANK_RULES)[BankRuleId]][]) {
  test(`rule ${id}: the editor gives its example the verdict "${rule.severity}"`, () => {
    const text = JSON.stringify(rule.example.bank, null, 2);
    const found = bankProblems(parseBank(text), CLASSES, { bom: rule.example.bom }).filter((p) => p.code === id);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].severity, rule.severity);
    assert.equal(found[0].hint, rule.hint);
    assert.ok(!found[0].message.includes(rule.hint));
  });
}

test('"Aircraft " beside "aircraft" is an error on the second spelling, and a warning for the padding', () => {
  const text = '{"aeroplane": ["aeroplane", "Aircraft ", "aircraft"]}';
  const problems = bankProblems(parseBank(text), CLASSES).filter((p) => p.severity !== 'info');
  const byCode = Object.fromEntries(
    problems.map((p) => [p.code, [p.severity, text.slice(p.offset, p.offset + p.length)]]),
  );
  assert.deepEqual(byCode, { paddedWord: ['warning', '"Aircraft "'], caseDuplicate: ['error', '"aircraft"'] });
  assert.equal(wordKey('  Potted   Plant '), 'potted plant');
  assert.deepEqual(
    bankProblems(parseBank('{"cat": ["cat", "kitty"]}'), CLASSES).filter((p) => p.severity !== 'info'),
    [],
  );
});
