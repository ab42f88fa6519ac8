// Experiment folders as the extension reads them (extension/experiments/experimentFolder.ts): found by the run
// search's walk, each run's status taken from its run.json, a run folder traced back to its experiment, the
// default folder of an experiment file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  experimentDirFor,
  experimentOfRun,
  experimentViewOf,
  insideExperiment,
  listExperimentFolders,
} from '../../extension/experiments/experimentFolder';

const workspace = mkdtempSync(path.join(tmpdir(), 'wsss-experiments-'));
after(() => rmSync(workspace, { recursive: true, force: true }));

function unit(name: string, status: string) {
  return {
    name,
    kind: name.startsWith('shared') ? 'shared' : 'variant',
    variant: 'a',
    seed: 0,
    runDir: name,
    config: 'c.json',
    stages: ['eval'],
    needs: [],
    status,
    runId: null,
  };
}

const exp = path.join(workspace, 'runs', 'study');
mkdirSync(path.join(exp, 'runs', 'a-s0'), { recursive: true });
mkdirSync(path.join(exp, 'runs', 'b-s0'), { recursive: true });
writeFileSync(
  path.join(exp, 'experiment.json'),
  JSON.stringify({
    formatVersion: 1,
    name: 'study',
    status: 'running',
    units: [unit('runs/a-s0', 'running'), unit('runs/b-s0', 'pending')],
  }),
);
writeFileSync(
  path.join(exp, 'runs', 'a-s0', 'run.json'),
  JSON.stringify({ formatVersion: 1, id: 'r1', name: 'a', status: 'completed', stages: [] }),
);

describe('experiment folders', () => {
  it('are found below the workspace, with each run status from its run.json', async () => {
    const found = await listExperimentFolders([workspace]);
    assert.deepEqual(
      found.map((e) => e.dir),
      [exp],
    );
    assert.deepEqual(
      found[0].state.units.map((u) => [u.name, u.status, u.runId]),
      [
        ['runs/a-s0', 'completed', 'r1'],
        ['runs/b-s0', 'pending', null],
      ],
    );
  });

  it('a run folder leads back to its experiment; other folders do not', async () => {
    assert.equal(await experimentOfRun(path.join(exp, 'runs', 'a-s0')), exp);
    assert.equal(await experimentOfRun(path.join(workspace, 'runs', 'plain')), undefined);
    assert.ok(insideExperiment(path.join(exp, 'shared', 'a-s0'), [exp]));
    assert.ok(!insideExperiment(path.join(workspace, 'runs', 'studyx', 'r'), [exp]));
    const view = await experimentViewOf(path.join(exp, 'runs', 'a-s0'));
    assert.deepEqual(view && [view.name, view.status, view.table], ['study', 'running', null]);
  });

  it('an experiment file runs into <runs directory>/<name>', () => {
    assert.equal(experimentDirFor('/w/configs/x.wsss-experiment.json', '/w/runs'), path.join('/w/runs', 'x'));
    assert.equal(experimentDirFor('/w/configs/x.wsss-experiment.json', undefined), path.join('/w/configs', 'x'));
  });
});
