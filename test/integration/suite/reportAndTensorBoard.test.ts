// Issue 13 in a real VS Code: (1) the mIoU report opened from the Command Palette (no run given) opens on the
// most recently active runs, newest first (extension/panels/report/recentRuns.ts; before, only ReportSession
// was tested); (2) "Open in TensorBoard" on a run with events written by the engine's own MetricsLog starts a
// live TensorBoard from the engine's Python and opens it in the Simple Browser. Skipped, with the reason, when
// the engine venv or its tensorboard package is missing.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { enginePython, repoRoot } from '../../support/paths';
import { writeRun } from '../../webview/fixtures/runFolders';
import { wsssExtension } from '../extensionUnderTest';
import { allTabs, waitFor } from '../waitFor';

describe('mIoU report from the palette and TensorBoard in a real VS Code (issue 13)', () => {
  let workspace: string;
  const made: string[] = [];

  before(async () => {
    await wsssExtension().activate();
    workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the report opened from the palette shows the three most recently active runs, newest first', async function () {
    this.timeout(30_000);
    // updated in the future, so these are newer than any other run of the workspace
    const updated = ['2099-01-01', '2099-01-04', '2099-01-02', '2099-01-03'];
    const dirs = updated.map((day, i) => {
      const dir = writeRun(workspace, { name: `palette-${i}`, miou: 0.4 + i / 100 });
      const file = path.join(dir, 'run.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), updated: `${day}T00:00:00Z` }),
      );
      made.push(dir);
      return dir;
    });
    await vscode.commands.executeCommand('wsss.openReport');
    const status = await waitFor('the report snapshot', async () => {
      const all = await vscode.commands.executeCommand<
        { viewType: string; snapshots: number; failedRequests: number; snapshot?: { runs: { runDir: string }[] } }[]
      >('wsss.panels.status', { snapshotOf: 'wsss.report' });
      return all?.find((s) => s.viewType === 'wsss.report' && s.snapshots >= 1 && s.snapshot);
    });
    assert.deepEqual(
      status.snapshot!.runs.map((r) => r.runDir),
      [dirs[1], dirs[3], dirs[2]],
    );
    assert.equal(status.failedRequests, 0);
  });

  it('"Open in TensorBoard" opens the Simple Browser on a live TensorBoard of the run', async function () {
    this.timeout(60_000);
    if (!fs.existsSync(enginePython())) return this.skip(); // no engine venv (scripts/setup.sh)
    try {
      execFileSync(enginePython(), ['-c', 'import tensorboard'], { stdio: 'ignore' });
    } catch {
      return this.skip(); // tensorboard is not installed in the engine's venv
    }
    const runDir = writeRun(workspace, { name: 'with-events', miou: 0.5 });
    made.push(runDir);
    execFileSync(
      enginePython(),
      [
        '-c',
        'import sys; from pathlib import Path; from wsss_engine.runs.metrics import MetricsLog\n' +
          'm = MetricsLog(Path(sys.argv[1]))\nfor s in range(3): m.log("clims", s, {"loss": 1.0 / (s + 1)})\nm.close()',
        runDir,
      ],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' }, stdio: 'ignore' },
    );
    const url = await vscode.commands.executeCommand<string | undefined>(
      'wsss.openTensorBoard',
      vscode.Uri.file(runDir),
    );
    assert.ok(url && /^http:\/\/127\.0\.0\.1:\d+\/$/.test(url), `a TensorBoard URL (got ${url})`);
    await waitFor('the Simple Browser tab', () =>
      allTabs().find((t) => t.input instanceof vscode.TabInputWebview && /simpleBrowser/i.test(t.input.viewType)),
    );
    // TensorBoard reads the event files in the background after it answers: poll its scalar tags
    const tags = await waitFor("the run's scalars in TensorBoard", async () => {
      const answer = await fetch(new URL('data/plugin/scalars/tags', url));
      const text = answer.ok ? JSON.stringify(await answer.json()) : '';
      return /loss/.test(text) ? text : undefined;
    });
    assert.match(tags, /clims/);
  });
});
