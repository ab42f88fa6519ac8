// Session "reload": a run survives a window reload (issue 13; docs/ARCHITECTURE.md, "Engine daemon"). Driven
// from Node with Playwright, as a user would: F1 "WSSS: Start Run…" picks a run config, the run's progress
// notification appears; F1 "Developer: Reload Window"; after the reload the same run (same id, same engine
// daemon pid) is still progressing (its metrics.jsonl grows) and the window shows its progress notification
// again without anyone asking; F1 "WSSS: Stop Run" stops it (checkpoint saved), the notification's Resume
// continues it from that checkpoint (its first step after the resume is not step 0). The run is the counting
// stage of engine/tests/plugins (a small real SGD fit with checkpoints), so the session takes well under a minute
// of engine time. A second run started meanwhile shows "queued behind" the first and leaves the queue at once
// when stopped. The daemon lives in this code-server's own state folder and is stopped with it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { repoRoot } from '../support/paths';
import { engineDaemon } from '../support/processes';
import { reloadWindow, runCommand, runWorkbenchSession } from './workbenchSession';

const GROUP = path.join('integration', 'reload');
const NAME = 'daemon-reload';
const QUEUED = 'daemon-queued';
const TITLE = `WSSS run "${NAME}"`;

interface RunJson {
  id: string;
  name: string;
  status: string;
}

interface RunState {
  dir: string;
  id: string;
  status: string;
  /** Steps in metrics.jsonl, in order. */
  steps: number[];
}

/** The run folder of run `name` under <workspace>/runs and what it holds now, or undefined before it exists. */
function runState(workspace: string, name = NAME): RunState | undefined {
  const runs = path.join(workspace, 'runs');
  const read = (dir: string) => {
    const file = path.join(dir, 'run.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunJson) : undefined;
  };
  const folders = fs.existsSync(runs) ? fs.readdirSync(runs).map((d) => path.join(runs, d)) : [];
  const dir = folders.find((d) => read(d)?.name === name);
  const record = dir ? read(dir) : undefined;
  if (!dir || !record) return undefined;
  const metrics = path.join(dir, 'metrics.jsonl');
  const lines = fs.existsSync(metrics) ? fs.readFileSync(metrics, 'utf8').split('\n').filter(Boolean) : [];
  const steps = lines.map((l) => Number((JSON.parse(l) as { step?: number }).step));
  return { dir, id: record.id, status: record.status, steps };
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function toast(page: Page, text: string) {
  return page.locator('.notification-toast', { hasText: text }).first();
}

async function reloadScenario(page: Page, workspace: string, stateDir: string, log: (l: string) => void) {
  await runCommand(page, 'WSSS: Start Run…');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: `${NAME}.wsss-run.json` })
    .first()
    .click();
  await toast(page, TITLE).waitFor({ timeout: 90_000 });
  const before = await until('the run to take steps', () => {
    const s = runState(workspace);
    return s && s.status === 'running' && s.steps.length >= 5 && s;
  });
  const daemonPid = engineDaemon(stateDir)?.pid;
  if (!daemonPid) throw new Error(`no engine daemon serves ${stateDir}`);
  log(`run ${before.id} at step ${before.steps.at(-1)} on daemon pid ${daemonPid}`);
  await screenshot(page, GROUP, 'before-reload');

  await reloadWindow(page);
  const reloadedAt = runState(workspace)!.steps.length;
  await toast(page, TITLE).waitFor({ timeout: 90_000 }); // reattached: the progress notification is back
  const after = await until('steps after the reload', () => {
    const s = runState(workspace);
    return s && s.steps.length > reloadedAt + 3 && s;
  });
  if (after.id !== before.id || after.status !== 'running')
    throw new Error(`after the reload: ${JSON.stringify(after)}`);
  if (engineDaemon(stateDir)?.pid !== daemonPid) throw new Error('the engine daemon changed across the reload');
  log(`after the reload: the same run at step ${after.steps.at(-1)}, its notification shown again`);
  await screenshot(page, GROUP, 'after-reload');

  // A second run waits behind the first: its notification says so; stopping it removes it from the queue at once.
  await runCommand(page, 'WSSS: Start Run…');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: `${QUEUED}.wsss-run.json` })
    .first()
    .click();
  await toast(page, `queued behind "${NAME}"`).waitFor({ timeout: 60_000 });
  await runCommand(page, 'WSSS: Stop Run');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: QUEUED }).first().click();
  await toast(page, `"${QUEUED}" was removed from the queue`).waitFor({ timeout: 10_000 });
  if (runState(workspace, QUEUED)?.status !== 'cancelled') throw new Error('the queued run is not marked cancelled');
  if (runState(workspace)?.status !== 'running') throw new Error('removing the queued run stopped the first one');
  log('a second run showed "queued behind" and left the queue at once when stopped');

  await runCommand(page, 'WSSS: Stop Run');
  const stoppedToast = toast(page, 'it can resume from its last checkpoint');
  await stoppedToast.waitFor({ timeout: 60_000 });
  const stopped = await until('run.json to say cancelled', () => {
    const s = runState(workspace);
    return s?.status === 'cancelled' && s;
  });
  log(`stopped at step ${stopped.steps.at(-1)}`);
  await stoppedToast.locator('.monaco-button', { hasText: 'Resume' }).click();
  const resumed = await until('steps after the resume', () => {
    const s = runState(workspace);
    return s && s.status === 'running' && s.steps.length > stopped.steps.length + 2 && s;
  });
  const firstResumed = resumed.steps[stopped.steps.length];
  if (!(firstResumed > 0))
    throw new Error(`the resumed run started again at step ${firstResumed}, not from its checkpoint`);
  log(`resumed from its checkpoint: first step ${firstResumed}`);
  await runCommand(page, 'WSSS: Stop Run');
  await until('the resumed run to stop', () => runState(workspace)?.status === 'cancelled');
}

/** Runs the session; the counts are those runTests.ts sums (one test). */
export async function runReloadSession(): Promise<{ code: number; passed: number; failed: number }> {
  console.log('\n=== integration session "reload" (a run survives a window reload; Playwright-driven) ===');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-ws-reload-'));
  const stages = [{ id: 'count', type: 'count', steps: 5000, sleep_s: 0.05, checkpoint_every: 5 }];
  for (const [name, steps] of [
    [NAME, 5000],
    [QUEUED, 5],
  ] as const) {
    const config = { name, seed: 3, device: 'cpu', synthetic: true, stages: [{ ...stages[0], steps }] };
    fs.writeFileSync(path.join(workspace, `${name}.wsss-run.json`), JSON.stringify(config, null, 2));
  }
  return runWorkbenchSession({
    name: 'reload',
    what: 'a run survives a window reload, is stopped and resumes from its checkpoint',
    workspace,
    env: {
      PYTHONPATH: path.join(repoRoot, 'engine', 'tests', 'plugins'),
      WSSS_ENGINE_PLUGINS: 'counting_stage',
      OMP_NUM_THREADS: '1',
    },
    scenario: (page, server, log) => reloadScenario(page, workspace, server.engineStateDir, log),
  });
}
