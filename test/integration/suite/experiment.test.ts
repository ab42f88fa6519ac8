// Test (issue 10): a two-variant, two-seed experiment on the SYNTHETIC world started through the palette
// command wsss.startExperiment with {experimentPath, experimentDir}: the real engine expands it (a tiny world
// and tiny CLIP made in the workspace cache), shares the baseline per seed, runs every run, writes the table;
// the runs tree shows the experiment with its runs, and the mIoU report opens on it with the table.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentState, ExperimentStateResult, ExperimentTable } from '../../../protocol/experiments';
import type { ExtensionServices } from '../../../extension/services';
import { wsssExtension } from '../extensionUnderTest';

const TIMEOUT_MS = Number(process.env.WSSS_TINY_RUN_TIMEOUT_S ?? 600) * 1000;

const EXPERIMENT = {
  name: 'it-experiment',
  base: {
    synthetic: {
      variant: 'pole_select',
      cache_dir: 'wsss-cache',
      world: { n_train_aug: 32, n_train: 16, n_val: 8 },
      tiny_clip: { steps: 10, pool_size: 100, batch: 32 },
      // two training steps per stage: the test is about the experiment machinery, not the numbers
      budget: { baseline_epochs: 1, clims_epochs: 1, batch_size: 16, eval_scales: [1.0], stop_after: 2 },
    },
  },
  variants: [{ name: 'gt', label: 'GT word', set: { '/stages/clims/prompt': 'gt' } }, { name: 'selected' }],
  seeds: [0, 1],
  reference: 'gt',
};

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

describe('an experiment through wsss.startExperiment', () => {
  let services: ExtensionServices;
  let workspace: string;

  before(async () => {
    services = (await wsssExtension().activate()) as ExtensionServices;
    workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok(workspace, 'no workspace folder open');
  });

  it('runs two variants x two seeds on the synthetic world and shows its table', async function () {
    this.timeout(TIMEOUT_MS + 120_000);
    const experimentPath = path.join(workspace, 'it.wsss-experiment.json');
    fs.writeFileSync(experimentPath, JSON.stringify(EXPERIMENT, null, 2));
    const experimentDir = path.join(workspace, 'runs', 'it-experiment');
    const started = await vscode.commands.executeCommand<ExperimentStateResult>('wsss.startExperiment', {
      experimentPath,
      experimentDir,
    });
    assert.ok(started, 'wsss.startExperiment returned nothing (see exthost-console.log)');
    assert.deepEqual(
      started.units.map((u) => u.name),
      ['shared/gt-s0', 'runs/gt-s0', 'runs/selected-s0', 'shared/gt-s1', 'runs/gt-s1', 'runs/selected-s1'],
    );
    const state = await waitFor(
      'the experiment to end',
      () => {
        const s = readJson<ExperimentState>(path.join(experimentDir, 'experiment.json'));
        return s && ['completed', 'failed', 'cancelled'].includes(s.status) && s;
      },
      TIMEOUT_MS,
    );
    assert.equal(state.status, 'completed', JSON.stringify(state.error));
    if (process.env.WSSS_TEST_RESULTS) {
      const keep = path.join(process.env.WSSS_TEST_RESULTS, 'experiment');
      fs.mkdirSync(keep, { recursive: true });
      for (const f of ['experiment.json', 'table.md', 'table.json'])
        fs.copyFileSync(path.join(experimentDir, f), path.join(keep, f));
    }

    const table = readJson<ExperimentTable>(path.join(experimentDir, 'table.json'));
    assert.ok(table, 'no table.json');
    assert.equal(table.synthetic, true);
    assert.deepEqual(
      table.rows.map((r) => [r.variant, r.values.cam?.n]),
      [
        ['gt', 2],
        ['selected', 2],
      ],
    );
    const diff = table.rows[1].diff.cam;
    assert.ok(diff && diff.lo !== null && diff.hi !== null && diff.lo <= diff.mean! && diff.mean! <= diff.hi);
    // the mean is the runs' own reports' mean
    const fixed = [0, 1].map(
      (s) =>
        readJson<{ miou: number }>(path.join(experimentDir, 'runs', `selected-s${s}`, 'reports', 'eval.json'))!.miou,
    );
    assert.ok(Math.abs(table.rows[1].values.cam.mean! - (fixed[0] + fixed[1]) / 2) < 1e-9);
    assert.match(fs.readFileSync(path.join(experimentDir, 'table.md'), 'utf8'), /SYNTHETIC/);

    // the runs tree: the experiment, then its six runs, all completed
    const top = await services.runsTree.getChildren();
    const item = top.find((t) => t.id === `experiment:${experimentDir}`);
    assert.ok(item, `no experiment item in the runs tree: ${top.map((t) => t.id).join(', ')}`);
    assert.match(String(item.description), /completed · 6\/6 runs/);
    const runs = await services.runsTree.getChildren(item);
    assert.deepEqual(
      runs.map((r) => `${String(r.label)} ${String(r.description).split(' ')[0]}`),
      started.units.map((u) => `${u.name} completed`),
    );
    assert.ok(!top.some((t) => t.id === `run:${path.join(experimentDir, 'runs', 'gt-s0')}`), 'run listed twice');

    // the report opens on the experiment and gets a snapshot (it carries the table)
    await vscode.commands.executeCommand('wsss.openExperimentTable', experimentDir);
    const status = await waitFor(
      'the report snapshot',
      async () => {
        const all =
          await vscode.commands.executeCommand<{ viewType: string; snapshots: number; failedRequests: number }[]>(
            'wsss.panels.status',
          );
        return all?.find((s) => s.viewType === 'wsss.report' && s.snapshots >= 1);
      },
      30_000,
    );
    assert.equal(status.failedRequests, 0);
  });
});
