// Closing VS Code (EngineProcess.dispose) with a run in progress: the engine cancels the run, which saves a
// resumable checkpoint, and the extension waits for it (up to `savingMs`) before any signal. Real engine; the
// stage (test/unit/fixtures/wsss_test_slow_save.py) takes 3 s to write its checkpoint when cancelled.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ShutdownLimits } from '../../extension/engine/engineSession';
import { engineEnv, engineLaunch, engineUnavailable, newEngine } from './engineFixture';

const skip = engineUnavailable();
const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-shutdown-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Starts an engine with a slow-saving run in progress; dispose() measures how the shutdown went. */
async function runThenDispose(name: string, shutdown: ShutdownLimits) {
  const folder = path.join(tmp, name);
  mkdirSync(folder);
  const configPath = path.join(folder, 'slow.wsss-run.json');
  writeFileSync(
    configPath,
    JSON.stringify({ name, device: 'cpu', stages: [{ id: 's', type: 'slow_save', save_s: 3 }] }),
  );
  const env = { ...engineEnv(), WSSS_ENGINE_PLUGINS: 'wsss_test_plugin,wsss_test_slow_save' };
  const engine = newEngine({ launch: engineLaunch({ env }), shutdown });
  await engine.start();
  const stepping = new Promise<void>((resolve) => engine.onRunProgress((p) => p.done >= 3 && resolve()));
  const runDir = path.join(folder, 'run');
  await engine.request('run/start', { configPath, runDir, resume: false });
  await stepping;
  const started = Date.now();
  await engine.dispose();
  const record = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  return { ms: Date.now() - started, checkpoint: existsSync(path.join(runDir, 'checkpoints', 's.pt')), record };
}

describe('EngineProcess shutdown with a run in progress (real engine)', { skip }, () => {
  it('waits while the engine saves the cancelled run, leaving it resumable', async () => {
    const { ms, checkpoint, record } = await runThenDispose('waits', {
      politeMs: 1000,
      terminateMs: 1000,
      savingMs: 20_000,
    });
    assert.ok(checkpoint, 'no checkpoint: the engine was stopped before the run saved it');
    assert.equal(record.status, 'cancelled');
    assert.equal(record.stages[0].status, 'cancelled');
    assert.ok(ms >= 2500 && ms < 20_000, `dispose took ${ms} ms`);
  });

  it('with no time to save (the old 1 s limits) the checkpoint is lost: the reason for savingMs', async () => {
    const { ms, checkpoint } = await runThenDispose('short', { politeMs: 1000, terminateMs: 1000, savingMs: 0 });
    assert.equal(checkpoint, false);
    assert.ok(ms < 6000, `dispose took ${ms} ms`);
  });
});
