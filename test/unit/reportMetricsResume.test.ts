// The mIoU report panel's host (ReportSession) with a run whose stage was resumed: the engine replaces
// metrics.jsonl without the replayed steps (engine/wsss_engine/runs/metrics.py), and the panel resets its
// curves to the new file instead of appending the replay, so a curve never doubles back.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ReportSession } from '../../extension/panels/report/reportSession';
import type { MetricsAppended } from '../../protocol/webview/report';

const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-report-resume-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (steps: number[], loss: (s: number) => number) =>
  steps.map((step) => JSON.stringify({ time: step, stage: 'clims', step, loss: loss(step) }) + '\n').join('');

describe('ReportSession and a resumed run', () => {
  it('resets the curves when the engine replaces metrics.jsonl, and shows each step once', async () => {
    const runDir = path.join(tmp, 'run');
    const file = path.join(runDir, 'metrics.jsonl');
    mkdirSync(runDir);
    writeFileSync(
      file,
      lines([1, 2, 3, 4, 5], () => 1),
    ); // killed after step 5, checkpoint at step 2
    const updates: MetricsAppended[] = [];
    const session = new ReportSession(
      {
        listRuns: async () => [],
        pickRunFolders: async () => [],
        watcher: { watch: () => ({ dispose() {} }) },
      },
      [runDir],
    );
    session.attach({ sendSnapshot() {}, notifyMetrics: (m) => updates.push(m) });
    assert.deepEqual(
      (await session.snapshot(null)).metrics.map((r) => r.step),
      [1, 2, 3, 4, 5],
    );

    writeFileSync(
      path.join(runDir, '.metrics.jsonl.9.9.tmp'),
      lines([1, 2, 3, 4, 5, 6], (s) => (s <= 2 ? 1 : 0.5)),
    );
    renameSync(path.join(runDir, '.metrics.jsonl.9.9.tmp'), file); // the resume dropped 3..5 and logged 3..6
    await session.handleRequest({ method: 'report/refresh', params: {} } as never);
    const last = updates.at(-1)!;
    assert.equal(last.reset, true);
    assert.deepEqual(
      last.rows.map((r) => [r.step, r.values.loss]),
      [
        [1, 1],
        [2, 1],
        [3, 0.5],
        [4, 0.5],
        [5, 0.5],
        [6, 0.5],
      ],
    );
    const rows = (await session.snapshot(null)).metrics;
    assert.deepEqual(
      rows.map((r) => r.step),
      [1, 2, 3, 4, 5, 6],
    );
    session.dispose();
  });
});
