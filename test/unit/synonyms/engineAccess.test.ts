// The synonym editor and the REAL engine: an engine without `synonyms/score` (as before it had a module:
// engine/tests/plugins/without_synonym_scoring.py) answers -32601, which becomes the "not supported yet" state
// (no numbers made up), remembered afterwards; the current engine answers, its errors shown as such; a pickled
// selection file is counted by `python -m wsss_engine pole-stats`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineProcess } from '../../../extension/engine/engineProcess';
import { engineScorer, poleStatsCommand } from '../../../extension/panels/synonyms/engineAccess';
import { StatsCache, loadOfficialStats } from '../../../extension/panels/synonyms/officialSelection';
import { NO_SCORING_MESSAGE, SynonymBankSession } from '../../../extension/panels/synonyms/synonymBankSession';
import { sharedDir } from '../../support/paths';
import { enginePython, engineEnv, engineLaunch, engineSource, engineUnavailable, newEngine } from '../engineFixture';

const skip = engineUnavailable();
let engine: EngineProcess;
let tmp: string;

/** The engine as it was before `synonyms/score` existed (its request module taken out by a test plugin). */
function engineWithoutScoring(): NodeJS.ProcessEnv {
  const env = engineEnv(false);
  return {
    ...env,
    PYTHONPATH: [env.PYTHONPATH, join(engineSource, 'tests', 'plugins')].join(delimiter),
    WSSS_ENGINE_PLUGINS: 'without_synonym_scoring',
  };
}

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'wsss-score-'));
  engine = newEngine({ launch: engineLaunch({ env: engineWithoutScoring(), cwd: tmp }) });
  await engine.start();
});

after(async () => {
  await engine?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function bankSession(scoringEngine: EngineProcess) {
  const text = readFileSync(join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json'), 'utf8');
  return new SynonymBankSession(
    { path: join(tmp, 'bank.synonyms.json'), getText: () => text, replace: async () => false },
    {
      listRuns: async () => [],
      pickFolder: async () => undefined,
      openTextEditor: async () => undefined,
      scorer: engineScorer(async () => scoringEngine),
    },
  );
}

test('an engine without synonyms/score gives the unsupported state, then the snapshot says so', { skip }, async () => {
  const runDir = join(tmp, 'run');
  mkdirSync(join(runDir, 'selection'), { recursive: true });
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify({ formatVersion: 1, name: 'r', status: 'completed', synthetic: true }),
  );
  let snapshots = 0;
  const session = bankSession(engine);
  session.attach({ sendSnapshot: () => void snapshots++ });
  await session.handleRequest({ kind: 'request', id: 1, method: 'synonyms/selectRun', params: { runDir } });
  assert.equal((await session.snapshot()).scoring.state, 'available');
  const result = await session.handleRequest({
    kind: 'request',
    id: 2,
    method: 'synonyms/score',
    params: { className: 'sofa', imageIds: ['2007_000123'] },
  });
  assert.deepEqual(result, { state: 'unsupported', message: NO_SCORING_MESSAGE });
  assert.equal(snapshots, 2, 'selectRun and the unsupported answer each re-send the snapshot');
  assert.deepEqual((await session.snapshot()).scoring, { state: 'unsupported', message: NO_SCORING_MESSAGE });
});

test('the current engine scores: a folder that holds no run is its answer, not "unsupported"', { skip }, async () => {
  const current = newEngine({ launch: engineLaunch({ env: engineEnv(false), cwd: tmp }) });
  try {
    await current.start();
    const session = bankSession(current);
    session.attach({ sendSnapshot: () => undefined });
    await session.handleRequest({
      kind: 'request',
      id: 1,
      method: 'synonyms/selectRun',
      params: { runDir: join(tmp, 'no-run') },
    });
    const result = (await session.handleRequest({
      kind: 'request',
      id: 2,
      method: 'synonyms/score',
      params: { className: 'sofa', imageIds: ['2007_000123'] },
    })) as { state: string; message: string };
    assert.equal(result.state, 'failed');
    assert.match(result.message, /run folder .*no-run does not exist/);
    assert.equal((await session.snapshot()).scoring.state, 'available');
  } finally {
    await current.dispose();
  }
});

test("a pickled selection beside the bank is counted by the engine's pole-stats, once", { skip }, async () => {
  const dir = join(tmp, 'pickled');
  mkdirSync(dir);
  const bank = join(dir, 'synonyms_chatgpt_4.json');
  copyFileSync(join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json'), bank);
  // The authors' released format: image id (no "_") -> prompts in class order (METHOD §2.2).
  execFileSync(enginePython, [
    '-c',
    [
      'import pickle, sys',
      'sel = {"2007000032": ["a photo of plane.", "a photo of human."], "2007000039": ["a photo of couch."]}',
      'open(sys.argv[1], "wb").write(pickle.dumps(sel, protocol=2))',
    ].join('\n'),
    join(dir, 'selected_cls_train_aug.json'),
  ]);
  let runs = 0;
  const command = poleStatsCommand(async () => ({ pythonPath: enginePython, env: engineEnv(false) }));
  const counting = async (path: string, bankPath: string): Promise<unknown> => {
    runs++;
    return command(path, bankPath);
  };
  const cache = new StatsCache(join(tmp, 'storage'));
  const stats = await loadOfficialStats(bank, cache, counting);
  assert.ok(stats.counts, stats.counts ? '' : stats.message);
  assert.deepEqual(stats.counts, { aeroplane: { plane: 1 }, person: { human: 1 }, sofa: { couch: 1 } });
  await loadOfficialStats(bank, cache, counting);
  assert.equal(runs, 1, 'the second time comes from the cache');
});
