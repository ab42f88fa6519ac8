// Test (2): a tiny real run (synthetic world, tiny CLIP, baseline CAM, CAM inference, evaluation; config in
// test/fixtures/workspace/tiny.wsss-run.json) started through the extension's wsss.startRun command with
// {configPath, runDir} arguments, which resolves once the run has started (docs/ARCHITECTURE.md). The engine
// is real: it must appear as a Python child of this extension host, and the run folder must be complete.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { wsssExtension } from '../extensionUnderTest';
import { pythonDescendants } from '../processes';
import { keepRunArtefacts, readMetrics, waitForRunEnd } from '../runFolder';

const RUN_TIMEOUT_MS = Number(process.env.WSSS_TINY_RUN_TIMEOUT_S ?? 600) * 1000;

describe('a tiny real run through wsss.startRun', () => {
  it('runs to completion and leaves run.json, metrics.jsonl and a report', async function () {
    this.timeout(RUN_TIMEOUT_MS + 60_000);
    await wsssExtension().activate();
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'no workspace folder open');
    const configPath = path.join(workspace, 'tiny.wsss-run.json');
    const runDir = path.join(workspace, 'runs', 'tiny-integration');

    const started = await vscode.commands.executeCommand<{ runId: string; runDir: string }>(
      'wsss.startRun', { configPath, runDir });
    assert.ok(started && typeof started.runId === 'string', `wsss.startRun returned ${JSON.stringify(started)} ` +
      '(it shows why in a notification: see workbench-at-exit.png and exthost-console.log in test-results/integration/trusted/)');
    assert.equal(path.resolve(started.runDir), runDir);

    let sawEngine = false;
    try {
      const run = await waitForRunEnd(runDir, RUN_TIMEOUT_MS, () => { sawEngine ||= pythonDescendants().length > 0; });
      assert.equal(run.status, 'completed', `run ended ${run.status}: ${JSON.stringify(run.error)}`);
      assert.ok(sawEngine, 'no Python process ran under the extension host during the run');
      assert.equal(run.synthetic, true);
      assert.ok(run.stages.length > 0 && run.stages.every((s) => s.status === 'completed'),
        `stages: ${run.stages.map((s) => `${s.id}=${s.status}`).join(', ')}`);

      const metrics = readMetrics(runDir);
      assert.ok(metrics.length > 0, 'metrics.jsonl is empty');
      for (const m of metrics) assert.ok(typeof m.stage === 'string' && typeof m.step === 'number', JSON.stringify(m));

      const reportsDir = path.join(runDir, 'reports');
      const reports = fs.existsSync(reportsDir) ? fs.readdirSync(reportsDir).filter((f) => f.endsWith('.json')) : [];
      assert.ok(reports.length > 0, 'no reports/<stage>.json');
      const report = JSON.parse(fs.readFileSync(path.join(reportsDir, reports[0]), 'utf8'));
      assert.equal(report.synthetic, true);
      assert.ok(typeof report.miou === 'number' && report.miou >= 0 && report.miou <= 1, `miou = ${report.miou}`);
      assert.equal(report.per_class_iou?.length, report.classes?.length);
    } finally {
      if (process.env.WSSS_TEST_RESULTS) keepRunArtefacts(runDir, path.join(process.env.WSSS_TEST_RESULTS, 'tiny-run'));
    }
  });
});
