// The real engine for unit tests: /work/main/.venv's Python (or $WSSS_TEST_PYTHON) running
// `-m wsss_engine serve` from this checkout's engine/, with the test-only plugin of fixtures/.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EngineProcess, type EngineProcessOptions } from '../../extension/engine/engineProcess';
import type { EngineLaunch } from '../../extension/engine/engineSession';

export const repoRoot = process.env.WSSS_REPO_ROOT ?? path.resolve(__dirname, '../..');
export const enginePython = process.env.WSSS_TEST_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
export const engineSource = path.join(repoRoot, 'engine');
export const fixtures = path.join(repoRoot, 'test/unit/fixtures');

/** Why the engine tests cannot run here, or undefined when they can. */
export function engineUnavailable(): string | undefined {
  if (!existsSync(enginePython)) return `no Python at ${enginePython} (run scripts/setup-engine.sh)`;
  if (!existsSync(path.join(engineSource, 'wsss_engine/rpc/server.py')))
    return 'engine/wsss_engine/rpc/server.py missing';
  return undefined;
}

/** Environment with the checkout's engine and the test plugin importable; one torch thread (small machines). */
export function engineEnv(withPlugin = true): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: [engineSource, fixtures].join(path.delimiter),
    PYTHONUNBUFFERED: '1',
    OMP_NUM_THREADS: '1',
    ...(withPlugin ? { WSSS_ENGINE_PLUGINS: 'wsss_test_plugin' } : {}),
  };
}

export function engineLaunch(overrides: Partial<EngineLaunch> = {}): EngineLaunch {
  return { pythonPath: enginePython, env: engineEnv(), cwd: repoRoot, ...overrides };
}

export function newEngine(options: Partial<EngineProcessOptions> = {}): EngineProcess {
  return new EngineProcess({
    launch: engineLaunch(),
    clientName: 'wsss-unit-tests',
    clientVersion: '0',
    handshakeTimeoutMs: 90_000,
    requestTimeoutMs: 20_000,
    shutdown: { politeMs: 3000, terminateMs: 2000 },
    ...options,
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until `check()` is true, polling; false on timeout. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
