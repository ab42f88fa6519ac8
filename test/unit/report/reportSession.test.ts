// The report panel's host logic in plain Node: restoring the compared runs from the webview's saved state,
// and tailing metrics.jsonl live (a half-written last line waits for its newline; a rewrite resets).
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MetricsAppended } from '../../../protocol/webview/report';
import { PollingRunWatcher } from '../../../extension/panels/report/pollingRunWatcher';
import { ReportSession } from '../../../extension/panels/report/reportSession';

let tmp: string;
const line = (step: number): string =>
  `${JSON.stringify({ time: step, stage: 'clims', step, loss: 1 / (step + 1) })}\n`;

function run(name: string, metrics: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ formatVersion: 1, name, status: 'running', synthetic: true, stages: [] }),
  );
  writeFileSync(join(dir, 'metrics.jsonl'), metrics);
  return dir;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wsss-report-session-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a restored panel compares the saved runs and focuses the saved one', async () => {
  const a = run('a', line(0));
  const b = run('b', line(0) + line(1));
  const session = new ReportSession({
    listRuns: async () => [],
    pickRunFolders: async () => [],
    watcher: new PollingRunWatcher(50),
  });
  try {
    const snap = await session.snapshot({ runDirs: [a, b], focus: b });
    assert.deepEqual(
      snap.runs.map((r) => r.label),
      ['a', 'b'],
    );
    assert.equal(snap.focus, b);
    assert.deepEqual(
      snap.metrics.map((m) => m.step),
      [0, 1],
    );
    assert.ok(snap.runs.every((r) => r.synthetic));
  } finally {
    session.dispose();
  }
});

test('appended lines arrive once complete, throttled; a rewritten file resets', async () => {
  const dir = run('live', line(0));
  const updates: MetricsAppended[] = [];
  const session = new ReportSession(
    {
      listRuns: async () => [],
      pickRunFolders: async () => [],
      watcher: new PollingRunWatcher(30),
      metricsIntervalMs: 200,
    },
    [dir],
  );
  session.attach({ sendSnapshot: () => undefined, notifyMetrics: (m) => void updates.push(m) });
  try {
    assert.equal((await session.snapshot(null)).metrics.length, 1);
    const next = line(1);
    appendFileSync(join(dir, 'metrics.jsonl'), next.slice(0, 10)); // half a line
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(updates.length, 0, 'nothing sent for a half-written line');
    appendFileSync(join(dir, 'metrics.jsonl'), next.slice(10) + line(2));
    await until(() => updates.flatMap((u) => u.rows).length === 2, 'two complete rows');
    assert.deepEqual(
      updates.flatMap((u) => u.rows).map((r) => r.step),
      [1, 2],
    );
    const start = Date.now();
    const before = updates.length;
    for (let s = 3; s < 13; s++) {
      appendFileSync(join(dir, 'metrics.jsonl'), line(s));
      await new Promise((r) => setTimeout(r, 40));
    }
    await until(() => updates.flatMap((u) => u.rows).length === 12, 'all twelve rows');
    const sent = updates.length - before;
    assert.ok(
      sent <= Math.ceil((Date.now() - start) / 200) + 1,
      `${sent} updates in ${Date.now() - start} ms: throttled`,
    );
    writeFileSync(join(dir, 'metrics.jsonl'), line(0)); // the run was restarted from scratch
    await until(() => updates.at(-1)?.reset === true, 'a reset');
    assert.deepEqual(
      updates.at(-1)!.rows.map((r) => r.step),
      [0],
    );
    assert.equal((await session.snapshot(null)).metrics.length, 1);
  } finally {
    session.dispose();
  }
});
