// Run folders read directly from disk: run.json of this and older engines, damaged files, run listing, reports.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  listRunFolders,
  readReports,
  readRunFolder,
  resolveRunConfigPath,
  runConfigBase,
  runDatasetRoot,
  runDirFor,
  RunFolderReadError,
} from '../../extension/runs/runFolder';

const root = mkdtempSync(path.join(tmpdir(), 'wsss-runfolder-'));
after(() => rmSync(root, { recursive: true, force: true }));

function writeRun(name: string, runJson: unknown): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'run.json'), typeof runJson === 'string' ? runJson : JSON.stringify(runJson));
  return dir;
}

const current = {
  formatVersion: 1,
  id: 'r1',
  name: 'pole-synthetic',
  status: 'completed',
  created: '2026-11-26T08:00:00Z',
  updated: '2026-11-26T08:10:00Z',
  engineVersion: '0.1.0',
  synthetic: true,
  error: null,
  stages: [
    { id: 'baseline', type: 'baseline_cam', status: 'completed', started: 'a', finished: 'b', summary: { loss: 0.3 } },
  ],
};

describe('readRunFolder', () => {
  it('reads a current run.json with no warnings', async () => {
    const info = await readRunFolder(writeRun('current', current));
    assert.deepEqual(info.warnings, []);
    assert.equal(info.record.status, 'completed');
    assert.equal(info.record.synthetic, true);
    assert.equal(info.record.stages[0]!.summary.loss, 0.3);
  });

  it('tolerates an older run.json and says what was missing', async () => {
    const info = await readRunFolder(writeRun('old', { id: 'old-run', status: 'failed' }));
    assert.equal(info.record.name, 'old-run');
    assert.equal(info.record.synthetic, false);
    assert.deepEqual(info.record.stages, []);
    assert.ok(
      info.warnings.some((w) => w.includes('formatVersion')),
      info.warnings.join('\n'),
    );
    assert.ok(
      info.warnings.some((w) => w.includes('"stages"')),
      info.warnings.join('\n'),
    );
  });

  it('never reads an unknown status as complete', async () => {
    const info = await readRunFolder(
      writeRun('odd', { ...current, status: 'done', stages: [{ id: 's', status: 'ok' }] }),
    );
    assert.equal(info.record.status, 'unknown');
    assert.equal(info.record.stages[0]!.status, 'unknown');
    assert.ok(info.warnings.some((w) => w.includes('"done"')));
  });

  it('warns about a newer format version', async () => {
    const info = await readRunFolder(writeRun('newer', { ...current, formatVersion: 7 }));
    assert.ok(info.warnings.some((w) => w.includes('formatVersion 7')));
  });

  it('names the file when run.json is damaged or missing', async () => {
    const damaged = writeRun('damaged', '{"id": "x", "stat');
    await assert.rejects(
      readRunFolder(damaged),
      (e: unknown) =>
        e instanceof RunFolderReadError &&
        e.file === path.join(damaged, 'run.json') &&
        /not valid JSON/.test(e.message),
    );
    await assert.rejects(readRunFolder(path.join(root, 'nowhere')), /does not exist/);
  });
});

describe('listRunFolders', () => {
  it('lists run folders newest first, keeps unreadable ones apart, ignores other folders', async () => {
    const runs = path.join(root, 'runs');
    mkdirSync(path.join(runs, 'not-a-run'), { recursive: true });
    for (const [name, created] of [
      ['a', '2026-01-01'],
      ['b', '2026-03-01'],
    ] as const) {
      mkdirSync(path.join(runs, name), { recursive: true });
      writeFileSync(path.join(runs, name, 'run.json'), JSON.stringify({ ...current, id: name, created }));
    }
    mkdirSync(path.join(runs, 'broken'));
    writeFileSync(path.join(runs, 'broken', 'run.json'), 'not json');
    const listed = await listRunFolders([runs]);
    assert.deepEqual(
      listed.runs.map((r) => r.record.id),
      ['b', 'a'],
    );
    assert.deepEqual(
      listed.unreadable.map((u) => path.basename(u.dir)),
      ['broken'],
    );
    assert.deepEqual(await listRunFolders([path.join(root, 'no-runs-yet')]), { runs: [], unreadable: [] });
  });
});

describe('readReports', () => {
  it('reads reports and reports damaged ones as errors', async () => {
    const dir = writeRun('reported', current);
    mkdirSync(path.join(dir, 'reports'));
    writeFileSync(path.join(dir, 'reports', 'eval.json'), JSON.stringify({ miou: 0.42, synthetic: true }));
    writeFileSync(path.join(dir, 'reports', 'bad.json'), '{"miou":');
    const reports = await readReports(dir);
    assert.equal((reports.get('eval') as { miou: number }).miou, 0.42);
    assert.ok(reports.get('bad') instanceof RunFolderReadError);
  });
});

describe('runDirFor', () => {
  it('names a new run folder after its config and the UTC time', () => {
    const at = new Date('2026-11-26T08:05:09.123Z');
    assert.equal(
      runDirFor('/ws/configs/pole tiny.wsss-run.json', '/ws/runs', at),
      path.join('/ws/runs', 'pole-tiny-20261126-080509'),
    );
    assert.equal(runDirFor('/ws/x.json', '/r', at), path.join('/r', 'x-20261126-080509'));
  });
});

describe("config.json's relative paths (runConfigBase, as the engine's stored_config_base)", () => {
  it('resolve against the run folder for a run marked configBase "run", so a copied project finds its copy', async () => {
    const project = path.join(root, 'copied-project');
    mkdirSync(path.join(project, 'data', 'JPEGImages'), { recursive: true });
    const run = writeRun('copied-project/runs/r', {
      ...current,
      configPath: '../../configs/c.json',
      configBase: 'run',
    });
    writeFileSync(path.join(run, 'config.json'), JSON.stringify({ dataset: { root: '../../data' } }));
    assert.equal(await runConfigBase(run), run);
    assert.equal(await runDatasetRoot(run), path.join(project, 'data'));
  });

  it('resolve against the folder of configPath for a run written before configBase', async () => {
    const run = writeRun('old-project/runs/r', { ...current, configPath: '../../configs/c.json' });
    assert.equal(await runConfigBase(run), path.join(root, 'old-project', 'configs'));
    assert.equal(
      await resolveRunConfigPath(run, 'sel/prompt_selection.json'),
      path.join(root, 'old-project', 'configs', 'sel', 'prompt_selection.json'),
    );
    const bare = writeRun('bare-run', { ...current }); // no configPath: the run folder
    assert.equal(await runConfigBase(bare), bare);
  });
});
