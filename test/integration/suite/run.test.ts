// Test (2): tiny real runs started through the extension's wsss.startRun command with {configPath, runDir},
// which resolves once the engine has started the run (docs/ARCHITECTURE.md, "Tests"):
//   1. test/fixtures/workspace/tiny-world.wsss-run.json: the synthetic_world stage makes a tiny world;
//   2. test/fixtures/tiny-cams.template.json, pointed at that world (a run config may name another run's
//      artefact by path): baseline CAM (small CNN, 2 epochs) -> CAM inference -> evaluation.
// The engine is real: it must appear as a Python process under this extension host or as the engine daemon of
// this session's state folder ($WSSS_ENGINE_STATE_DIR, set by codeServer.ts), and the run folders
// must be complete (run.json completed, metrics.jsonl, reports/<stage>.json with mIoU).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { repoRoot } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';
import { engineDaemon, pythonDescendants } from '../../support/processes';
import { keepRunArtefacts, readMetrics, waitForRunEnd, type RunJson } from '../runFolder';

const RUN_TIMEOUT_MS = Number(process.env.WSSS_TINY_RUN_TIMEOUT_S ?? 600) * 1000;

/** Starts a run through the command, waits for its end, keeps its small files in test-results/. */
async function runThroughCommand(configPath: string, runDir: string): Promise<{ run: RunJson; sawEngine: boolean }> {
  const started = await vscode.commands.executeCommand<{ runId: string; runDir: string }>('wsss.startRun', {
    configPath,
    runDir,
  });
  assert.ok(
    started && typeof started.runId === 'string',
    `wsss.startRun returned ${JSON.stringify(started)} ` +
      '(it shows why in a notification: see workbench-at-exit.png and exthost-console.log in test-results/integration/trusted/)',
  );
  assert.equal(path.resolve(started.runDir), runDir);
  let sawEngine = false;
  try {
    const run = await waitForRunEnd(runDir, RUN_TIMEOUT_MS, () => {
      const stateDir = process.env.WSSS_ENGINE_STATE_DIR;
      sawEngine ||= pythonDescendants().length > 0 || (stateDir !== undefined && engineDaemon(stateDir) !== undefined);
    });
    assert.equal(
      run.status,
      'completed',
      `run ${path.basename(runDir)} ended ${run.status}: ${JSON.stringify(run.error)}`,
    );
    return { run, sawEngine };
  } finally {
    if (process.env.WSSS_TEST_RESULTS)
      keepRunArtefacts(runDir, path.join(process.env.WSSS_TEST_RESULTS, 'runs', path.basename(runDir)));
  }
}

describe('tiny real runs through wsss.startRun', () => {
  let workspace: string;
  let worldRoot: string;

  before(async () => {
    await wsssExtension().activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'no workspace folder open');
    workspace = folder;
  });

  it('a synthetic_world run completes and reports where its world is', async function () {
    this.timeout(RUN_TIMEOUT_MS + 60_000);
    const { run, sawEngine } = await runThroughCommand(
      path.join(workspace, 'tiny-world.wsss-run.json'),
      path.join(workspace, 'runs', 'tiny-world'),
    );
    assert.ok(sawEngine, 'no Python engine ran (under the extension host, or as the engine daemon) during the run');
    assert.equal(run.synthetic, true);
    const summary = run.stages.find((s) => s.type === 'synthetic_world')?.summary ?? {};
    worldRoot = String(summary.root);
    assert.ok(fs.existsSync(path.join(worldRoot, 'classes.json')), `no classes.json in the world root ${worldRoot}`);
    assert.ok(
      worldRoot.startsWith(workspace),
      `world outside the workspace (stage cache_dir is relative): ${worldRoot}`,
    );
  });

  it('a baseline CAM -> CAMs -> evaluation run on that world completes with metrics and a report', async function () {
    this.timeout(RUN_TIMEOUT_MS + 60_000);
    assert.ok(worldRoot, 'the synthetic_world run did not complete');
    const config = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'tiny-cams.template.json'), 'utf8'),
    );
    config.dataset.root = worldRoot;
    config.dataset.classes = JSON.parse(fs.readFileSync(path.join(worldRoot, 'classes.json'), 'utf8'));
    const configPath = path.join(workspace, 'tiny-cams.wsss-run.json');
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const runDir = path.join(workspace, 'runs', 'tiny-cams');

    const { run } = await runThroughCommand(configPath, runDir);
    assert.equal(run.synthetic, true);
    assert.deepEqual(
      run.stages.map((s) => `${s.id}=${s.status}`),
      ['baseline=completed', 'cams=completed', 'eval=completed'],
    );

    const metrics = readMetrics(runDir);
    assert.ok(
      metrics.some((m) => m.stage === 'baseline' && typeof m.loss === 'number'),
      'no baseline loss in metrics.jsonl',
    );
    for (const m of metrics) assert.ok(typeof m.stage === 'string' && typeof m.step === 'number', JSON.stringify(m));

    const report = JSON.parse(fs.readFileSync(path.join(runDir, 'reports', 'eval.json'), 'utf8'));
    assert.equal(report.synthetic, true);
    assert.deepEqual(report.classes, ['background', ...config.dataset.classes]);
    assert.equal(report.per_class_iou.length, report.classes.length);
    assert.equal(report.n_images, 16);
    assert.ok(typeof report.miou === 'number' && report.miou >= 0 && report.miou <= 1, `miou = ${report.miou}`);
    assert.equal(fs.readdirSync(path.join(runDir, 'cams', 'cams')).filter((f) => f.endsWith('.npy')).length, 16);
  });
});
