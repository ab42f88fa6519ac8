// Problems of a synonym bank carry ranges on the offending key or value, so diagnostics point at them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bankProblems } from '../../../extension/panels/synonyms/bankDiagnostics';
import { VOC_CLASS_LIST, classListFor } from '../../../extension/panels/synonyms/classList';
import { parseBank } from '../../../extension/panels/synonyms/synonymBankDocument';
import { positionAt } from '../../../extension/panels/synonyms/synonymBankSession';

const textAt = (text: string, p: { offset: number; length: number }): string =>
  text.slice(p.offset, p.offset + p.length);

test('an unknown class is reported on its key, with the known classes named', () => {
  const text = '{\n  "cat": ["cat", "feline"],\n  "zebra": ["zebra"]\n}';
  const problems = bankProblems(parseBank(text), VOC_CLASS_LIST);
  const unknown = problems.filter((p) => p.code === 'unknownClass');
  assert.equal(unknown.length, 1);
  assert.equal(textAt(text, unknown[0]), '"zebra"');
  assert.match(unknown[0].message, /Unknown class "zebra".*aeroplane/);
  assert.deepEqual(positionAt(text, unknown[0].offset), { line: 2, character: 2 });
  const missing = problems.find((p) => p.code === 'missingClass')!;
  assert.equal(missing.severity, 'info');
  assert.match(missing.message, /aeroplane, bicycle/);
});

test('values that are not word lists are reported on the value or item', () => {
  const text = '{"cat": "feline", "dog": [], "cow": ["cow", 3, "cow", ""], "$schema": "x"}';
  const problems = bankProblems(parseBank(text), { names: ['cat', 'dog', 'cow'], source: 'test' });
  const byCode = Object.fromEntries(problems.map((p) => [p.code, textAt(text, p)]));
  assert.deepEqual(byCode, {
    notWordList: '"feline"',
    emptyWordList: '[]',
    notWord: '3',
    duplicateWord: '"cow"',
    blankWord: '""',
  });
  const duplicate = problems.find((p) => p.code === 'duplicateWord')!;
  assert.equal(duplicate.offset, text.lastIndexOf('"cow"', text.indexOf('""')));
});

test('invalid JSON gives syntax problems at the error, and no classes', () => {
  const text = '{\n  "cat": ["cat" "feline"]\n}';
  const bank = parseBank(text);
  assert.equal(bank.classes.length, 0);
  const problems = bankProblems(bank, VOC_CLASS_LIST);
  assert.ok(problems.length > 0 && problems.every((p) => p.code === 'syntax'));
  assert.equal(problems[0].offset, text.indexOf('"feline"'));
  assert.match(problems[0].message, /comma expected/);
  assert.equal(bankProblems(parseBank('[1]'), VOC_CLASS_LIST)[0].code, 'notObject');
});

test("a bank is checked against the dataset's classes.json beside it or one folder up, else VOC", async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-classes-'));
  try {
    writeFileSync(join(root, 'classes.json'), JSON.stringify(['aeroplane', 'boat', 'sofa']));
    mkdirSync(join(root, 'banks'));
    const beside = await classListFor(join(root, 'bank.json'));
    assert.deepEqual(beside.list, { names: ['aeroplane', 'boat', 'sofa'], source: join(root, 'classes.json') });
    assert.deepEqual((await classListFor(join(root, 'banks', 'x.synonyms.json'))).list.names, [
      'aeroplane',
      'boat',
      'sofa',
    ]);
    const problems = bankProblems(parseBank('{"boat": ["boat"], "cat": ["cat"]}'), beside.list);
    assert.deepEqual(
      problems.map((p) => p.code),
      ['unknownClass', 'missingClass'],
    );
    writeFileSync(join(root, 'banks', 'classes.json'), '{oops');
    const broken = await classListFor(join(root, 'banks', 'x.synonyms.json'));
    assert.equal(broken.list, VOC_CLASS_LIST);
    assert.match(broken.warning ?? '', /not valid JSON.*Checking against VOC instead/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
