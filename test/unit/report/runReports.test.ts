// Run folders are read leniently: what is wrong becomes a message, the rest is still shown.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listRunChoices, readRunView } from '../../../extension/panels/report/runReports';

const classes = ['background', 'aeroplane', 'boat'];

function makeRun(root: string, name: string, run: object | null, reports: Record<string, string>): string {
  const dir = join(root, 'runs', name);
  mkdirSync(join(dir, 'reports'), { recursive: true });
  if (run) writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  for (const [file, text] of Object.entries(reports)) writeFileSync(join(dir, 'reports', file), text);
  return dir;
}

test('a complete run: reports checked, a null IoU (class absent) read as missing, synthetic flagged', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-runs-'));
  try {
    const dir = makeRun(
      root,
      'a',
      {
        formatVersion: 1,
        id: 'a',
        name: 'pole-synthetic',
        status: 'completed',
        synthetic: false,
        created: 'c',
        updated: 'u',
        engineVersion: '0.1.0',
        stages: [],
      },
      {
        'eval.json':
          '{"synthetic": true, "split": "val", "n_images": 4, "classes": ["background","aeroplane","boat"], "threshold": 0.3,' +
          ' "miou": 0.5, "per_class_iou": [0.8, null, 0.2], "sweep": [{"threshold":0.4,"miou":0.45},{"threshold":0.3,"miou":0.5}],' +
          ' "best": {"threshold":0.3,"miou":0.5}}',
        'broken.json': '{"miou": "high"}',
        'short.json': '{"miou": 0.5, "classes": ["background"], "per_class_iou": [0.5, 0.4]}',
      },
    );
    const view = await readRunView(dir);
    assert.equal(view.label, 'pole-synthetic');
    assert.equal(view.synthetic, true, 'a synthetic report makes the run synthetic');
    assert.equal(view.reports.length, 1);
    const r = view.reports[0];
    assert.deepEqual(r.classes, classes);
    assert.ok(Number.isNaN(r.perClassIou[1]));
    assert.deepEqual(
      r.sweep.map((p) => p.threshold),
      [0.3, 0.4],
      'sweep sorted by threshold',
    );
    assert.equal(view.messages.length, 2);
    assert.match(view.messages[0], /broken\.json: it has no numeric "miou"; skipped/);
    assert.equal(
      view.messages[1],
      'reports/short.json: "classes" has 1 names but "per_class_iou" has 2 values; skipped.',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an older run folder and a run without reports say so', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-runs-'));
  try {
    const old = makeRun(root, 'old', { name: 'old-run', status: 'completed' }, {});
    rmSync(join(old, 'reports'), { recursive: true });
    const view = await readRunView(old);
    assert.match(view.messages.join(' '), /older engine/);
    assert.match(view.messages.join(' '), /not been evaluated/);
    const none = await readRunView(join(root, 'nowhere'));
    assert.match(none.messages[0], /Cannot read run .*run\.json.*not a run folder/);
    const runs = await listRunChoices([root]);
    assert.deepEqual(
      runs.map((r) => r.label),
      ['old-run'],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('images a stage skipped as unreadable (skip_corrupt) are named in the run view', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-runs-'));
  try {
    const stage = (id: string, summary: object) => ({ id, type: 'infer_cams', status: 'completed', summary });
    const dir = makeRun(
      root,
      'skips',
      {
        formatVersion: 1,
        id: 's',
        name: 'skips',
        status: 'completed',
        stages: [stage('cams', { skipped: 2, skipped_ids: ['2007_000032', '2007_000039'] }), stage('ok', {})],
      },
      {},
    );
    const view = await readRunView(dir);
    const skipped = view.messages.filter((m) => m.includes('skip_corrupt'));
    assert.equal(skipped.length, 1);
    assert.match(skipped[0], /Stage cams skipped 2 unreadable image\(s\) \(skip_corrupt\): 2007_000032, 2007_000039/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
