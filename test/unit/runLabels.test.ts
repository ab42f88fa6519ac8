// One label per run in every view (extension/runs/runFolder.ts runLabels): the name alone when it is unique,
// name · start time when names clash, the short id when they started in the same minute, and parent/folder for
// copies of one run folder (same id). Read from real run folders found by the shared search.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { listRunChoices } from '../../extension/panels/report/runReports';
import { listRunFolders, runLabels, runSearchRoots } from '../../extension/runs/runFolder';

const root = mkdtempSync(path.join(tmpdir(), 'wsss-runlabels-'));
after(() => rmSync(root, { recursive: true, force: true }));

function run(rel: string, name: string, id: string, created: string): string {
  const dir = path.join(root, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ formatVersion: 1, id, name, status: 'completed', created, stages: [] }),
  );
  return dir;
}

const unique = run('runs/a', 'baseline', 'aaaaaa000001', '2026-11-01T08:00:00Z');
const monday = run('runs/b', 'pole', 'bbbbbb000001', '2026-11-02T08:00:12Z');
const tuesday = run('runs/c', 'pole', 'cccccc000001', '2026-11-03T09:30:00Z');
const sameMinute1 = run('runs/d', 'clims', 'dddddd000001', '2026-11-04T10:00:01Z');
const sameMinute2 = run('runs/e', 'clims', 'eeeeee000001', '2026-11-04T10:00:40Z');
const original = run('demo/pole_full', 'synthetic-pole', 'ffffff000001', '2026-11-05T10:00:00Z');
const copy = path.join(root, 'demo-copy', 'pole_full');
cpSync(original, copy, { recursive: true });

test('runs of one name are told apart by start time, then short id, then folder', async () => {
  const { runs } = await listRunFolders([root]);
  const labels = runLabels(runs);
  assert.equal(labels.get(unique), 'baseline');
  assert.equal(labels.get(monday), 'pole · 2026-11-02 08:00');
  assert.equal(labels.get(tuesday), 'pole · 2026-11-03 09:30');
  assert.equal(labels.get(sameMinute1), 'clims · dddddd');
  assert.equal(labels.get(sameMinute2), 'clims · eeeeee');
  assert.equal(labels.get(original), 'synthetic-pole · demo/pole_full');
  assert.equal(labels.get(copy), 'synthetic-pole · demo-copy/pole_full');
  assert.equal(new Set(labels.values()).size, runs.length);
});

test("the report's and bank editor's run list uses the same labels", async () => {
  const choices = await listRunChoices([root]);
  const { runs } = await listRunFolders([root]);
  const labels = runLabels(runs);
  assert.equal(choices.length, runs.length);
  for (const c of choices) assert.equal(c.label, labels.get(c.runDir));
});

test('wsss.runSearchFolders adds roots after the runs directory and the workspace folders, once each', () => {
  const extra = path.join(root, 'elsewhere');
  assert.deepEqual(runSearchRoots(path.join(root, 'runs'), [root], [extra, `${extra}/`, root]), [
    path.join(root, 'runs'),
    root,
    extra,
  ]);
});
