// Selection statistics (METHOD §2.2, the paper's Fig. 4): the authors' file, a pole-stats JSON, and a run's.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StatsCache, loadOfficialStats } from '../../../extension/panels/synonyms/officialSelection';
import {
  countSelections,
  groundTruthShare,
  readStoredScores,
  toWordCounts,
} from '../../../extension/panels/synonyms/selectionResults';
import { parseBank } from '../../../extension/panels/synonyms/synonymBankDocument';
import { sharedDir } from '../../support/paths';

const pole = join(sharedDir(), 'data', 'pole');

test("the authors' selection gives METHOD §2.2's table (couch 80% of sofas, GT wins 46.3%)", async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wsss-stats-'));
  try {
    const stats = await loadOfficialStats(join(pole, 'synonyms_chatgpt_4.json'), new StatsCache(tmp), undefined);
    assert.ok(stats.counts, 'counts computed');
    const sofa = stats.counts.sofa;
    assert.equal(
      Object.values(sofa).reduce((a, b) => a + b, 0),
      649,
    );
    assert.equal(sofa.couch, 518);
    const bank = parseBank(readFileSync(join(pole, 'synonyms_chatgpt_4.json'), 'utf8')).classes;
    const share = groundTruthShare(stats.counts, bank);
    assert.equal(Math.round(share.aeroplane * 1000), 107);
    assert.equal(Math.round(share.bus * 1000), 852);
    let gt = 0;
    let all = 0;
    for (const c of bank) {
      gt += stats.counts[c.name][c.words[0]] ?? 0;
      all += Object.values(stats.counts[c.name]).reduce((a, b) => a + b, 0);
    }
    assert.equal(Math.round((gt / all) * 1000), 463);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a pickle goes through pole-stats once, then the cache answers', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'wsss-stats-'));
  try {
    const bankPath = join(tmp, 'bank.json');
    copyFileSync(join(pole, 'synonyms_chatgpt_4.json'), bankPath);
    writeFileSync(join(tmp, 'selected_cls_train_aug.json'), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
    let calls = 0;
    const poleStats = async (path: string, bank: string): Promise<unknown> => {
      calls++;
      assert.equal(path, join(tmp, 'selected_cls_train_aug.json'));
      assert.equal(bank, bankPath);
      return { source: path, format: 'pickle', images: 2, counts: { sofa: { couch: 2 } }, ambiguous: 0 };
    };
    const cache = new StatsCache(join(tmp, 'storage'));
    const first = await loadOfficialStats(bankPath, cache, poleStats);
    assert.deepEqual(first.counts, { sofa: { couch: 2 } });
    const second = await loadOfficialStats(bankPath, cache, poleStats);
    assert.deepEqual(second.counts, { sofa: { couch: 2 } });
    assert.equal(calls, 1);
    const noEngine = await loadOfficialStats(bankPath, undefined, undefined);
    assert.match(noEngine.counts === null ? noEngine.message : '', /pickle/);
    const elsewhere = await loadOfficialStats(join(tmp, 'storage', 'x.json'), undefined, undefined);
    assert.equal(elsewhere.counts, null);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('word counts and selections are checked', () => {
  assert.deepEqual(countSelections({ a: { cat: 'feline' }, b: { cat: 'feline', dog: 'dog' } }, 'x'), {
    cat: { feline: 2 },
    dog: { dog: 1 },
  });
  assert.match(String(countSelections({ a: ['x'] }, 'sel.json')), /image "a"/);
  assert.match(String(toWordCounts({ cat: { feline: 'many' } }, 'stats.json')), /count of "feline"/);
});

test('stored scores: a few images per class from prompt_selection.json', async () => {
  const run = mkdtempSync(join(tmpdir(), 'wsss-sel-'));
  try {
    mkdirSync(join(run, 'selection'));
    const images: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) images[`img${i}`] = { sofa: { word: 'couch', scores: { sofa: 0.2, couch: 0.3 } } };
    writeFileSync(join(run, 'selection', 'prompt_selection.json'), JSON.stringify({ bank: 'b', words: {}, images }));
    const stored = await readStoredScores(run, 3);
    assert.equal(stored.totalImages, 10);
    assert.deepEqual(
      stored.samples.map((s) => s.imageId),
      ['img0', 'img1', 'img2'],
    );
    assert.deepEqual(stored.samples[0].scores, { sofa: 0.2, couch: 0.3 });
    const missing = await readStoredScores(join(run, 'none'));
    assert.match(missing.message ?? '', /no stored word scores/);
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});
