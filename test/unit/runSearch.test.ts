// The one search for run folders (extension/runs/runFolder.ts findRunFolders / listRunFolders) that the runs
// tree, the CAM and report panels, the synonym editor and the CAM previews share: its depth rule and what it
// finds in a demo-like workspace (runs/<name>/ and the demo's runs/demo/<variant>/).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { findRunFolders, listRunFolders, RUN_SEARCH_DEPTH, runSearchRoots } from '../../extension/runs/runFolder';

const workspace = mkdtempSync(path.join(tmpdir(), 'wsss-runsearch-'));
after(() => rmSync(workspace, { recursive: true, force: true }));

function run(rel: string, created = '2026-11-01T00:00:00Z'): string {
  const dir = path.join(workspace, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({
      formatVersion: 1,
      id: path.basename(dir),
      name: path.basename(dir),
      status: 'completed',
      created,
      stages: [],
    }),
  );
  return dir;
}

// A workspace as the demo and a user leave it.
const single = run('runs/pole-synthetic-20261101-080000', '2026-11-01T08:00:00Z');
const gt = run('runs/demo/clims_gt', '2026-11-02T08:00:00Z');
const pole = run('runs/demo/pole_selected', '2026-11-03T08:00:00Z');
const elsewhere = run('experiments/baseline');
run('runs/pole-synthetic-20261101-080000/checkpoints/inner'); // inside a run: never a run of its own
run('runs/demo/too/deep/for/search'); // five levels below the workspace
run('node_modules/pkg/fixture'); // tooling
run('.cache/old'); // hidden
mkdirSync(path.join(workspace, 'data', 'VOC2012', 'JPEGImages'), { recursive: true });

describe('findRunFolders', () => {
  it("finds runs up to RUN_SEARCH_DEPTH levels below a root, the demo's included, and nothing inside a run", async () => {
    assert.equal(RUN_SEARCH_DEPTH, 3);
    assert.deepEqual(await findRunFolders([workspace]), [elsewhere, gt, pole, single].sort());
  });

  it('counts depth from each root, takes a root that is a run, and skips missing roots', async () => {
    assert.deepEqual(await findRunFolders([path.join(workspace, 'runs', 'demo', 'too')]), [
      path.join(workspace, 'runs/demo/too/deep/for/search'),
    ]);
    assert.deepEqual(await findRunFolders([gt]), [gt]);
    assert.deepEqual(await findRunFolders([workspace], 2), [elsewhere, single].sort());
    assert.deepEqual(await findRunFolders([path.join(workspace, 'nowhere')]), []);
  });

  it('searches the runs directory and the workspace folders once each', async () => {
    const roots = runSearchRoots(path.join(workspace, 'runs'), [workspace, `${workspace}/`]);
    assert.deepEqual(roots, [path.join(workspace, 'runs'), workspace]);
    assert.deepEqual(await findRunFolders(roots), [elsewhere, gt, pole, single].sort());
    assert.deepEqual(runSearchRoots(undefined, []), []);
  });
});

describe('listRunFolders', () => {
  it('reads what the search finds, newest first', async () => {
    const { runs, unreadable } = await listRunFolders([workspace]);
    assert.deepEqual(runs.map((r) => r.dir).slice(0, 3), [pole, gt, single]);
    assert.equal(runs.length, 4);
    assert.deepEqual(unreadable, []);
  });
});
