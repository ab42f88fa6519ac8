// A report opened from the Command Palette starts on the most recently active runs (run.json "updated",
// else "created"), newest first and in focus; once, so removing them all leaves the report empty.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PollingRunWatcher } from '../../../extension/panels/report/pollingRunWatcher';
import { recentRunDirs } from '../../../extension/panels/report/recentRuns';
import { ReportSession } from '../../../extension/panels/report/reportSession';

let tmp: string;

function run(name: string, updated: string | null, created: string | null): string {
  const dir = join(tmp, 'runs', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({ formatVersion: 1, name, status: 'completed', synthetic: true, stages: [], updated, created }),
  );
  return dir;
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wsss-recent-runs-'));
  run('old', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
  run('newest', '2026-11-30T10:00:00Z', '2026-11-01T00:00:00Z');
  run('created-only', null, '2026-11-20T00:00:00Z');
  run('middle', '2026-11-10T00:00:00Z', '2026-11-01T00:00:00Z');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the three most recently active runs, newest first', async () => {
  const dirs = await recentRunDirs([tmp]);
  assert.deepEqual(
    dirs.map((d) => d.split(/[/\\]/).at(-1)),
    ['newest', 'created-only', 'middle'],
  );
});

test('a palette-opened report starts on them (once) and says so', async () => {
  const session = new ReportSession({
    listRuns: async () => [],
    pickRunFolders: async () => [],
    recentRuns: () => recentRunDirs([tmp]),
    watcher: new PollingRunWatcher(50),
  });
  try {
    const snap = await session.snapshot(null);
    assert.deepEqual(
      snap.runs.map((r) => r.label),
      ['newest', 'created-only', 'middle'],
    );
    assert.equal(snap.focus, snap.runs[0].runDir);
    assert.match(snap.notice ?? '', /3 most recently active run/);
    await session.handleRequest({
      kind: 'request',
      id: 1,
      method: 'report/setRuns',
      params: { runDirs: [], focus: null },
    });
    const empty = await session.snapshot(null);
    assert.equal(empty.runs.length, 0, 'removing every run is not undone');
    assert.equal(empty.notice, null);
  } finally {
    session.dispose();
  }
});

test('a report opened on a run, or restored, keeps its runs', async () => {
  const one = join(tmp, 'runs', 'old');
  const session = new ReportSession(
    {
      listRuns: async () => [],
      pickRunFolders: async () => [],
      recentRuns: () => recentRunDirs([tmp]),
      watcher: new PollingRunWatcher(50),
    },
    [one],
  );
  try {
    const snap = await session.snapshot(null);
    assert.deepEqual(
      snap.runs.map((r) => r.label),
      ['old'],
    );
    assert.equal(snap.notice, null);
  } finally {
    session.dispose();
  }
});
