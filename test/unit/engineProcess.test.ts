// EngineProcess against the real engine (`python -m wsss_engine serve`): handshake, requests, timeouts,
// engine errors, cancellation, crash + restart, and dispose killing the whole process tree.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  EngineExitedError,
  EngineNotRunningError,
  EngineRequestError,
  EngineTimeoutError,
} from '../../extension/engine/engineErrors';
import type { EngineProcess, EngineStateChange } from '../../extension/engine/engineProcess';
import { ENGINE_PROTOCOL_VERSION } from '../../protocol/engine';
import { alive, engineEnv, enginePython, engineUnavailable, eventually, newEngine, repoRoot } from './engineFixture';

const skip = engineUnavailable();

/** Requests outside the typed protocol (the test plugin's), through the same typed path. */
function testRequest(engine: EngineProcess, method: string, params: object, options: object = {}): Promise<any> {
  return engine.request(method as 'ping', params as Record<never, never>, options);
}

describe('EngineProcess with the real engine', { skip }, () => {
  let engine: EngineProcess;
  const states: EngineStateChange[] = [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-engine-'));

  before(async () => {
    engine = newEngine();
    engine.onDidChangeState((s) => states.push(s));
    await engine.start();
  });
  after(async () => {
    await engine?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('completes the handshake with versions and devices', () => {
    const info = engine.info!;
    assert.equal(engine.state, 'ready');
    assert.equal(info.protocolVersion, ENGINE_PROTOCOL_VERSION);
    assert.match(info.torchVersion, /^\d+\.\d+/);
    assert.ok(
      info.devices.some((d) => d.kind === 'cpu'),
      JSON.stringify(info.devices),
    );
    // engine/devices (torch loaded) may follow as another 'ready' with the full device list
    assert.deepEqual(states.map((s) => s.state).slice(0, 2), ['starting', 'ready']);
    assert.ok(
      states.slice(2).every((s) => s.state === 'ready'),
      JSON.stringify(states.map((s) => s.state)),
    );
  });

  it('answers ping with its clock', async () => {
    const { time } = await engine.request('ping', {});
    assert.ok(Math.abs(time - Date.now() / 1000) < 60, `engine time ${time}`);
  });

  it('passes engine log records on as stderr lines (the one channel for the log)', async () => {
    const logged = new Promise<string>((resolve) =>
      engine.onStderrLine((line) => line.includes('hello from') && resolve(line)),
    );
    await testRequest(engine, 'test/say', { message: 'hello from the test plugin' });
    assert.match(await logged, /WARNING.*hello from the test plugin|hello from the test plugin/);
  });

  it('rejects a request that takes longer than its timeout, and the engine keeps serving', async () => {
    const started = Date.now();
    await assert.rejects(
      testRequest(engine, 'test/wait', { seconds: 10 }, { timeoutMs: 300 }),
      (e: unknown) => e instanceof EngineTimeoutError && e.method === 'test/wait' && /300 ms/.test(e.message),
    );
    assert.ok(Date.now() - started < 3000);
    assert.ok((await engine.request('ping', {})).time > 0);
  });

  it('rejects invalid params with the engine error', async () => {
    await assert.rejects(
      engine.request('ping', { bogus: 1 } as Record<never, never>),
      (e: unknown) => e instanceof EngineRequestError && e.code === -32602 && /bogus/.test(e.message),
    );
  });

  it('maps typed engine errors (kind, hint) from a run that cannot start', async () => {
    const missing = path.join(tmp, 'no-such-config.wsss-run.json');
    await assert.rejects(
      engine.request('run/start', { configPath: missing, runDir: path.join(tmp, 'run1'), resume: false }),
      (e: unknown) => e instanceof EngineRequestError && e.kind !== undefined && e.message.includes('no-such-config'),
    );
  });

  it('refuses an invalid config at run/start with every problem (no config/validate first)', async () => {
    const bad = path.join(tmp, 'bad.wsss-run.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', stages: [{ id: 'x', type: 'no_such_stage' }] }));
    await assert.rejects(
      engine.request('run/start', { configPath: bad, runDir: path.join(tmp, 'run-bad'), resume: false }),
      (e: unknown) =>
        e instanceof EngineRequestError &&
        e.kind === 'ConfigInvalid' &&
        e.problems.some((p) => /no_such_stage/.test(p.message)),
    );
  });

  it('cancels a long request with $/cancelRequest', async () => {
    const source = new CancellationTokenSource();
    const started = Date.now();
    const pending = testRequest(engine, 'test/wait', { seconds: 30 }, { token: source.token });
    setTimeout(() => source.cancel(), 200);
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof EngineRequestError && e.cancelled && e.kind === 'Cancelled',
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('reports a crash as EngineExitedError, rejects pending requests, and restarts', async () => {
    const pid = engine.pid!;
    const crashed = new Promise<EngineStateChange>((resolve) =>
      engine.onDidChangeState((s) => s.state === 'crashed' && resolve(s)),
    );
    const pending = testRequest(engine, 'test/wait', { seconds: 30 });
    setTimeout(() => process.kill(pid, 'SIGKILL'), 100);
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof EngineExitedError && e.phase === 'running' && e.signal === 'SIGKILL',
    );
    const change = await crashed;
    assert.ok(change.error instanceof EngineExitedError);
    assert.equal(engine.state, 'crashed');
    await assert.rejects(engine.request('ping', {}), EngineNotRunningError);
    const info = await engine.restart();
    assert.equal(info.protocolVersion, ENGINE_PROTOCOL_VERSION);
    assert.notEqual(engine.pid, pid);
    assert.ok((await engine.request('ping', {})).time > 0);
  });

  it('dispose shuts the engine down and kills its helper processes', async () => {
    const pid = engine.pid!;
    const { pid: helper } = await testRequest(engine, 'test/spawnHelper', {});
    assert.ok(alive(helper));
    const started = Date.now();
    await engine.dispose();
    assert.ok(Date.now() - started < 8000, `dispose took ${Date.now() - started} ms`);
    assert.ok(await eventually(() => !alive(pid) && !alive(helper)), `engine ${pid} or helper ${helper} still alive`);
    assert.equal(engine.state, 'stopped');
  });
});

describe('EngineProcess device list (protocol 3)', { skip }, () => {
  it('is ready with the CPU before torch loads, then takes every device from engine/devices', async () => {
    // no plugin: nothing imports torch before `initialize` is answered
    const engine = newEngine({ launch: { pythonPath: enginePython, env: engineEnv(false), cwd: repoRoot } });
    const ready: EngineStateChange[] = [];
    engine.onDidChangeState((s) => s.state === 'ready' && ready.push(s));
    try {
      const first = await engine.start();
      assert.equal(first.devices[0]?.kind, 'cpu');
      assert.ok(await eventually(() => ready.length >= 2, 60_000), 'no engine/devices after the handshake');
      const info = engine.info!;
      assert.deepEqual(info.devices[0], first.devices[0]);
      assert.match(info.torchVersion, /^\d+\.\d+/);
      assert.equal(info.protocolVersion, ENGINE_PROTOCOL_VERSION);
    } finally {
      await engine.dispose();
    }
  });
});
