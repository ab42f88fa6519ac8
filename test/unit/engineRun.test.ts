// A tiny real run through EngineProcess: run/start answers at once, run/progress and run/metrics arrive,
// run/finished ends it, and the run folder (read by runFolder.ts / metricsFile.ts) agrees. Then a run
// cancelled mid-way resumes from its checkpoint to completion.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineProcess } from '../../extension/engine/engineProcess';
import { MetricsReader } from '../../extension/runs/metricsFile';
import { readRunFolder } from '../../extension/runs/runFolder';
import type { RunFinishedParams, RunProgressParams } from '../../protocol/engine';
import { enginePython, engineEnv, engineUnavailable, fixtures, newEngine, repoRoot } from './engineFixture';

const world = path.join(repoRoot, 'engine/tests/training_world.py');
const skip = engineUnavailable() ?? (existsSync(world) ? undefined : 'engine/tests/training_world.py missing');

function tinyConfig(folder: string, epochs: number): string {
  const out = execFileSync(enginePython, [path.join(fixtures, 'make_tiny_run_config.py'), folder, String(epochs)], {
    env: engineEnv(false),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!).configPath;
}

/** Collects one run's notifications until run/finished (its metrics are in metrics.jsonl, their one channel). */
function watchRun(engine: EngineProcess, runId: () => string | undefined) {
  const progress: RunProgressParams[] = [];
  const finished = new Promise<RunFinishedParams>((resolve) => {
    engine.onRunFinished((f) => f.runId === runId() && resolve(f));
  });
  engine.onRunProgress((p) => p.runId === runId() && progress.push(p));
  return { progress, finished };
}

describe('a tiny real run through EngineProcess', { skip }, () => {
  let engine: EngineProcess;
  const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-run-'));
  before(async () => {
    engine = newEngine({ launch: { pythonPath: enginePython, env: engineEnv(false), cwd: repoRoot } });
    await engine.start();
  });
  after(async () => {
    await engine?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('streams progress and metrics, finishes completed, and leaves a readable run folder', async () => {
    const configPath = tinyConfig(path.join(tmp, 'a'), 2);
    const runDir = path.join(tmp, 'a', 'runs', 'r1');
    let id: string | undefined;
    const seen = watchRun(engine, () => id);
    const started = await engine.request('run/start', { configPath, runDir, resume: false });
    id = started.runId;
    assert.equal(path.resolve(started.runDir), runDir);
    assert.deepEqual(
      started.stages,
      [{ id: 'baseline', type: 'baseline_cam' }],
      'the reply names the stages: no run.json read-back',
    );
    const end = await seen.finished;
    assert.equal(end.status, 'completed', JSON.stringify(end.error));
    assert.ok(seen.progress.length > 0 && seen.progress.every((p) => p.stageId === 'baseline'));
    const folder = await readRunFolder(runDir);
    assert.equal(folder.record.status, 'completed');
    assert.deepEqual(
      folder.record.stages.map((s) => [s.id, s.status]),
      [['baseline', 'completed']],
    );
    const lines = await new MetricsReader(runDir).readNew();
    assert.deepEqual(lines.skipped, []);
    assert.ok(lines.records.filter((r) => r.stage === 'baseline').length > 0);
  });

  it('a cancelled run resumes from its checkpoint and completes', async () => {
    const configPath = tinyConfig(path.join(tmp, 'b'), 6);
    const runDir = path.join(tmp, 'b', 'runs', 'r2');
    let id: string | undefined;
    const first = watchRun(engine, () => id);
    const started = await engine.request('run/start', { configPath, runDir, resume: false });
    id = started.runId;
    await new Promise<void>((resolve) => {
      const once = engine.onRunProgress((p) => {
        if (p.runId !== id || p.done === 0) return;
        once.dispose(); // the resumed run may have the same id
        void engine.request('run/cancel', { runId: id }).then(() => resolve());
      });
    });
    const end = await first.finished;
    assert.equal(end.status, 'cancelled');
    assert.equal((await readRunFolder(runDir)).record.status, 'cancelled');
    const metrics = new MetricsReader(runDir);
    const before = (await metrics.readNew()).records;

    let id2: string | undefined;
    const second = watchRun(engine, () => id2);
    id2 = (await engine.request('run/start', { runDir, resume: true })).runId;
    const end2 = await second.finished;
    const after = (await metrics.readNew()).records;
    const [firstStep, resumedStep] = [before[0]!.step, after[0]!.step];
    assert.ok(
      resumedStep > firstStep,
      `resumed at step ${resumedStep}, not after the checkpoint (first run began at ${firstStep})`,
    );
    assert.equal(end2.status, 'completed', JSON.stringify(end2.error));
    assert.equal((await readRunFolder(runDir)).record.status, 'completed');
  });
});
