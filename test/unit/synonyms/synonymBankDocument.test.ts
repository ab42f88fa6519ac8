// Edits of a synonym bank keep the file's own formatting: only the edited lines change (METHOD §2.1 banks).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  applyBankEdit,
  detectFormatting,
  minimalEdit,
  parseBank,
} from '../../../extension/panels/synonyms/synonymBankDocument';
import { sharedDir } from '../../support/paths';

const poleText = readFileSync(join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json'), 'utf8');

function edited(text: string, edit: Parameters<typeof applyBankEdit>[1]): string {
  const out = applyBankEdit(text, edit);
  if (out instanceof Error) throw out;
  return out;
}

/** Lines of `after` that are not in `before` at the same place (a crude line diff: changed region only). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const e = minimalEdit(before, after)!;
  const lineStart = before.lastIndexOf('\n', e.offset - 1) + 1;
  const oldEnd = before.indexOf('\n', e.offset + e.length);
  const newEnd = after.indexOf('\n', e.offset + e.text.length);
  return {
    removed: before.slice(lineStart, oldEnd < 0 ? undefined : oldEnd).split('\n'),
    added: after.slice(lineStart, newEnd < 0 ? undefined : newEnd).split('\n'),
  };
}

test('the real POLE bank parses into 20 classes, ground-truth name first', () => {
  const bank = parseBank(poleText);
  assert.equal(bank.syntaxErrors.length, 0);
  assert.equal(bank.classes.length, 20);
  assert.deepEqual(bank.classes.find((c) => c.name === 'person')?.words, ['player', 'person', 'human', 'people']);
  assert.deepEqual(detectFormatting(poleText), { insertSpaces: true, tabSize: 1, eol: '\n' });
});

test("adding a word to POLE's bank inserts one line with the file's 2-space item indent", () => {
  const after = edited(poleText, { kind: 'addWord', className: 'sofa', word: 'divan' });
  assert.match(after, /"settee",\n  "divan"\n \]/);
  const { removed, added } = changedLines(poleText, after);
  assert.deepEqual(removed, ['  "settee"']);
  assert.deepEqual(added, ['  "settee",', '  "divan"']);
  assert.deepEqual(parseBank(after).classes.find((c) => c.name === 'sofa')?.words, [
    'sofa',
    'couch',
    'loveseat',
    'settee',
    'divan',
  ]);
  // everything outside the sofa class is byte-identical
  assert.equal(after.slice(0, after.indexOf('"sofa"')), poleText.slice(0, poleText.indexOf('"sofa"')));
  assert.equal(after.slice(after.indexOf('"train"')), poleText.slice(poleText.indexOf('"train"')));
});

test('rename, remove and move change only the class edited', () => {
  const renamed = edited(poleText, { kind: 'renameWord', className: 'train', index: 3, word: 'railway' });
  assert.deepEqual(changedLines(poleText, renamed), { removed: ['  "monorail"'], added: ['  "railway"'] });

  const removed = edited(poleText, { kind: 'removeWord', className: 'bus', index: 1 });
  assert.deepEqual(parseBank(removed).classes.find((c) => c.name === 'bus')?.words, ['bus', 'transit', 'omnibus']);
  assert.equal(removed.length, poleText.length - '  "coach",\n'.length);

  const moved = edited(poleText, { kind: 'moveWord', className: 'sofa', from: 1, to: 0 });
  assert.deepEqual(parseBank(moved).classes.find((c) => c.name === 'sofa')?.words, [
    'couch',
    'sofa',
    'loveseat',
    'settee',
  ]);
  assert.equal(moved.length, poleText.length, 'a move only swaps lines');
  assert.match(moved, /"sofa": \[\n  "couch",\n  "sofa",\n/);
});

test('single-line arrays, tabs and CRLF stay as they are', () => {
  const text = '{\r\n\t"cat": ["cat", "feline"],\r\n\t"dog": ["dog"]\r\n}\r\n';
  const after = edited(text, { kind: 'addWord', className: 'dog', word: 'hound' });
  assert.ok(after.startsWith('{\r\n\t"cat": ["cat", "feline"],\r\n'));
  assert.ok(!/[^\r]\n/.test(after), 'no bare LF was introduced');
  assert.deepEqual(parseBank(after).classes[1].words, ['dog', 'hound']);
  const moved = edited(text, { kind: 'moveWord', className: 'cat', from: 1, to: 0 });
  assert.ok(moved.includes('"cat": ["feline", "cat"]'), moved);
});

test('bad requests and invalid JSON are refused with a reason, never applied', () => {
  assert.match(
    String(applyBankEdit(poleText, { kind: 'addWord', className: 'sofa', word: 'couch' })),
    /already a candidate/,
  );
  assert.match(String(applyBankEdit(poleText, { kind: 'addWord', className: 'sofa', word: '  ' })), /empty/);
  assert.match(
    String(applyBankEdit(poleText, { kind: 'removeWord', className: 'zebra', index: 0 })),
    /not in the bank/,
  );
  assert.match(String(applyBankEdit(poleText, { kind: 'removeWord', className: 'sofa', index: 9 })), /No word/);
  assert.match(
    String(applyBankEdit('{"cat": ["cat",]}', { kind: 'addWord', className: 'cat', word: 'x' })),
    /not a valid JSON/,
  );
  const added = edited('{"cat": ["cat"]}', { kind: 'addClass', className: 'dog', words: ['dog', 'hound'] });
  assert.deepEqual(
    parseBank(added).classes.map((c) => c.name),
    ['cat', 'dog'],
  );
});

test('minimalEdit is the smallest single replacement', () => {
  assert.deepEqual(minimalEdit('abcdef', 'abXYef'), { offset: 2, length: 2, text: 'XY' });
  assert.deepEqual(minimalEdit('aaa', 'aaaa'), { offset: 3, length: 0, text: 'a' });
  assert.equal(minimalEdit('same', 'same'), undefined);
  const before = '{"a": ["x"]}';
  const e = minimalEdit(before, '{"a": ["x", "y"]}')!;
  assert.equal(before.slice(0, e.offset) + e.text + before.slice(e.offset + e.length), '{"a": ["x", "y"]}');
});
