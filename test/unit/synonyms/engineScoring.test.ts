// Live scoring against the REAL engine process: an engine without `synonyms/score` answers -32601, and the
// synonym editor turns that into the "not supported yet" state (no numbers made up), remembered afterwards.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineProcess } from '../../../extension/engine/engineProcess';
import { engineScorer } from '../../../extension/panels/synonyms/engineAccess';
import { NO_SCORING_MESSAGE, SynonymBankSession } from '../../../extension/panels/synonyms/synonymBankSession';
import { sharedDir } from '../../support/paths';
import { engineEnv, engineLaunch, engineUnavailable, newEngine } from '../engineFixture';

const skip = engineUnavailable();
let engine: EngineProcess;
let tmp: string;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'wsss-score-'));
  engine = newEngine({ launch: engineLaunch({ env: engineEnv(false), cwd: tmp }) });
  await engine.start();
});

after(async () => {
  await engine?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('an engine without synonyms/score gives the unsupported state, then the snapshot says so', { skip }, async () => {
  const runDir = join(tmp, 'run');
  mkdirSync(join(runDir, 'selection'), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ formatVersion: 1, name: 'r', status: 'completed', synthetic: true }));
  const text = readFileSync(join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json'), 'utf8');
  let snapshots = 0;
  const session = new SynonymBankSession({ path: join(tmp, 'bank.synonyms.json'), getText: () => text, replace: async () => false }, {
    listRuns: async () => [],
    pickFolder: async () => undefined,
    openTextEditor: async () => undefined,
    scorer: engineScorer(async () => engine),
  });
  session.attach({ sendSnapshot: () => void snapshots++ });
  await session.handleRequest({ kind: 'request', id: 1, method: 'synonyms/selectRun', params: { runDir } });
  assert.equal((await session.snapshot()).scoring.state, 'available');
  const result = await session.handleRequest({ kind: 'request', id: 2, method: 'synonyms/score', params: { className: 'sofa', imageIds: ['2007_000123'] } });
  assert.deepEqual(result, { state: 'unsupported', message: NO_SCORING_MESSAGE });
  assert.equal(snapshots, 2, 'selectRun and the unsupported answer each re-send the snapshot');
  assert.deepEqual((await session.snapshot()).scoring, { state: 'unsupported', message: NO_SCORING_MESSAGE });
});
