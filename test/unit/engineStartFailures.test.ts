// Starting the engine when it cannot work: no Python, a Python that dies during the handshake, one that never
// answers. Each gives a typed error that says what happened, and leaves no process behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import {
  EngineExitedError,
  EngineStartCancelledError,
  EngineStartError,
  EngineTimeoutError,
} from '../../extension/engine/engineErrors';
import { alive, engineEnv, engineLaunch, engineUnavailable, eventually, newEngine } from './engineFixture';

describe('EngineProcess start failures', () => {
  it('names a missing interpreter and the fix', async () => {
    const engine = newEngine({ launch: { pythonPath: '/nonexistent/bin/python3' } });
    await assert.rejects(
      engine.start(),
      (e: unknown) =>
        e instanceof EngineStartError &&
        e.message.includes('/nonexistent/bin/python3') &&
        e.message.includes('wsss.pythonPath'),
    );
    assert.equal(engine.state, 'crashed');
    await engine.dispose();
  });

  it(
    'reports an engine that exits during the handshake, with its last stderr lines',
    { skip: engineUnavailable() },
    async () => {
      const engine = newEngine({
        launch: engineLaunch({
          args: ['-c', 'import sys; sys.stderr.write("ModuleNotFoundError: No module named torch\\n"); sys.exit(3)'],
        }),
      });
      const lines: string[] = [];
      engine.onStderrLine((l) => lines.push(l));
      await assert.rejects(
        engine.start(),
        (e: unknown) =>
          e instanceof EngineExitedError &&
          e.phase === 'handshake' &&
          e.exitCode === 3 &&
          e.stderrTail.some((l) => l.includes('No module named torch')) &&
          /while starting/.test(e.message),
      );
      assert.ok(lines.some((l) => l.includes('No module named torch')));
      await engine.dispose();
    },
  );

  it('times out a handshake that never comes and kills the process', { skip: engineUnavailable() }, async () => {
    const engine = newEngine({
      launch: engineLaunch({ args: ['-c', 'import time; time.sleep(60)'] }),
      handshakeTimeoutMs: 700,
    });
    let pid: number | undefined;
    engine.onDidChangeState(() => (pid ??= engine.pid));
    const started = engine.start();
    await new Promise((r) => setTimeout(r, 100));
    pid = engine.pid;
    await assert.rejects(started, (e: unknown) => e instanceof EngineTimeoutError && e.method === 'initialize');
    assert.ok(pid !== undefined && (await eventually(() => !alive(pid!))), `process ${pid} survived`);
    await engine.dispose();
  });

  it('cancelling the start kills the half-started process', { skip: engineUnavailable() }, async () => {
    const engine = newEngine({ launch: engineLaunch({ args: ['-c', 'import time; time.sleep(60)'] }) });
    const source = new CancellationTokenSource();
    const started = engine.start(source.token);
    await new Promise((r) => setTimeout(r, 200));
    const pid = engine.pid!;
    source.cancel();
    await assert.rejects(started, EngineStartCancelledError);
    assert.ok(await eventually(() => !alive(pid)), `process ${pid} survived`);
    await engine.dispose();
  });

  it(
    'an engine that ignores shutdown and SIGTERM is killed with SIGKILL within the limits',
    { skip: engineUnavailable() },
    async () => {
      const engine = newEngine({
        launch: engineLaunch({ env: { ...engineEnv(), WSSS_TEST_STUBBORN: '1' } }),
        shutdown: { politeMs: 500, terminateMs: 500 },
      });
      await engine.start();
      const pid = engine.pid!;
      const started = Date.now();
      await engine.dispose();
      const took = Date.now() - started;
      assert.ok(!alive(pid), `engine ${pid} survived dispose`);
      assert.ok(took >= 1000 && took < 4000, `dispose took ${took} ms (polite 500 + SIGTERM 500, then SIGKILL)`);
    },
  );
});
