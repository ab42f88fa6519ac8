// Windows on the engine daemon (daemonSession.ts, docs/ARCHITECTURE.md "Engine daemon"), with the real engine:
// two EngineProcess in daemon mode starting at once share one daemon; a run one of them started goes on when
// it is disposed (a window reload) and the other sees it in run/list with its progress, can stop it and
// resume it; a run queued behind it says so and leaves the queue at once when stopped. The daemon lives in a
// private state folder of this test and is stopped at the end (test/support/processes.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineProcess } from '../../extension/engine/engineProcess';
import type { RunFinishedParams, RunProgressParams, RunStartedParams } from '../../protocol/engine';
import { engineDaemon, stopEngineDaemon } from '../support/processes';
import { alive, engineEnv, engineLaunch, engineUnavailable, eventually, newEngine } from './engineFixture';

const skip = engineUnavailable();
const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-daemon-'));
const stateDir = path.join(tmp, 'state');
after(async () => {
  await stopEngineDaemon(stateDir);
  rmSync(tmp, { recursive: true, force: true });
});

function config(name: string, steps: number): string {
  const file = path.join(tmp, `${name}.wsss-run.json`);
  const stages = [{ id: 's', type: 'slow_save', steps, sleep_s: 0.05, save_s: 0 }];
  writeFileSync(file, JSON.stringify({ name, device: 'cpu', stages }));
  return file;
}

function daemonWindow(folder = stateDir): EngineProcess {
  const env = {
    ...engineEnv(),
    WSSS_ENGINE_PLUGINS: 'wsss_test_plugin,wsss_test_slow_save',
    WSSS_ENGINE_STATE_DIR: folder,
  };
  return newEngine({ launch: engineLaunch({ env, daemon: true }) });
}

/** Every notification one window receives. */
function record(engine: EngineProcess) {
  const seen = {
    started: [] as RunStartedParams[],
    progress: [] as RunProgressParams[],
    finished: [] as RunFinishedParams[],
  };
  engine.onRunStarted((s) => seen.started.push(s));
  engine.onRunProgress((p) => seen.progress.push(p));
  engine.onRunFinished((f) => seen.finished.push(f));
  return seen;
}

describe('windows on the engine daemon (real engine)', { skip }, () => {
  it('share one daemon; a run outlives the window that started it; queued runs leave the queue at once', async () => {
    const a = daemonWindow();
    const b = daemonWindow();
    const seenA = record(a);
    const seenB = record(b);
    const logB: string[] = [];
    b.onStderrLine((line) => logB.push(line));
    await Promise.all([a.start(), b.start()]); // two windows starting at once
    assert.ok(a.shared && b.shared);
    assert.equal(a.pid, b.pid, 'two daemons were started');
    const daemonPid = a.pid!;
    assert.equal(engineDaemon(stateDir)?.pid, daemonPid);

    const runDir = path.join(tmp, 'long');
    const started = await a.request('run/start', { configPath: config('long', 2000), runDir, resume: false });
    assert.equal(started.queuedBehind, null);
    assert.ok(await eventually(() => seenB.started.some((s) => s.runId === started.runId), 10_000));
    assert.ok(await eventually(() => seenB.progress.some((p) => p.runId === started.runId), 60_000));
    assert.ok(
      seenA.started.some((s) => s.runId === started.runId),
      'the starting window hears run/started too',
    );

    await a.dispose(); // the window reloads
    assert.ok(alive(daemonPid), 'disposing a window stopped the daemon');
    const stepsSeen = seenB.progress.length;
    assert.ok(await eventually(() => seenB.progress.length > stepsSeen + 3, 20_000), 'the run stopped progressing');
    assert.equal(seenB.finished.length, 0);

    const c = daemonWindow(); // ... and comes back: reattaches through run/list
    const seenC = record(c);
    await c.start();
    const listed = (await c.request('run/list', {})).runs.find((r) => r.runId === started.runId);
    assert.equal(listed?.status, 'running');
    assert.equal(listed?.name, 'long');
    assert.deepEqual(listed?.stages, [{ id: 's', type: 'slow_save' }]);
    assert.equal(listed?.progress?.stageId, 's');

    const queued = await c.request('run/start', { configPath: config('next', 5), runDir: path.join(tmp, 'next') });
    assert.deepEqual(queued.queuedBehind, { runId: started.runId, name: 'long' });
    const t0 = Date.now();
    assert.deepEqual(await b.request('run/cancel', { runId: queued.runId }), { cancelled: true }); // any window
    assert.ok(await eventually(() => seenC.finished.some((f) => f.runId === queued.runId), 5_000));
    assert.ok(Date.now() - t0 < 5_000);
    const removed = seenC.finished.find((f) => f.runId === queued.runId)!;
    assert.deepEqual(removed, { runId: queued.runId, status: 'cancelled', error: null, removedFromQueue: true });
    assert.ok(!seenC.finished.some((f) => f.runId === started.runId), 'removing the queued run stopped the first');

    await c.request('run/cancel', { runId: started.runId });
    assert.ok(await eventually(() => seenB.finished.some((f) => f.runId === started.runId), 30_000));
    const stopped = seenB.finished.find((f) => f.runId === started.runId)!;
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped.removedFromQueue, false);
    assert.equal(JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')).status, 'cancelled');
    const resumed = await c.request('run/start', { runDir, resume: true });
    assert.equal(resumed.runId, started.runId);
    await c.request('run/cancel', { runId: started.runId });
    await Promise.all([b.dispose(), c.dispose()]);
    assert.ok(alive(daemonPid), 'the daemon waits for its idle timeout, not for the last window');
  });

  it('says clearly why when the daemon cannot be started, and how to do without it', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, '');
    const engine = daemonWindow(path.join(blocker, 'state')); // its folder cannot be made
    await assert.rejects(engine.start(), (error: Error) => {
      assert.equal(error.name, 'EngineDaemonError');
      assert.match(error.message, /cannot make the engine daemon folder .*a-file\/state/);
      assert.match(error.message, /WSSS_ENGINE_STATE_DIR/);
      assert.match(error.message, /"wsss\.engine\.mode" to "window"/);
      return true;
    });
    assert.equal(engine.state, 'crashed');
    await engine.dispose();
  });
});
