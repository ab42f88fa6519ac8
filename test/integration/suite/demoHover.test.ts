// The hover preview on the demo right after the main job (issue 13): scripts/main.sh leaves runs/demo/ with the
// POLE + adaptors run's export_onnx model; with the demo folder searched for runs (wsss.runSearchFolders, no
// wsss.previewRun), hovering an image id of the demo's synthetic world shows its CAMs. When the main job has not
// run in this checkout (CI), a tiny demo-like folder is made instead through the engine's real pipeline and
// export_onnx stage (test/integration/fixtures/make_demo_run.py, ~10 s), so the test runs everywhere.
// WSSS_DEMO_DIR names another demo folder.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { enginePython, repoRoot } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';

const mainJobDemo = process.env.WSSS_DEMO_DIR ?? path.join(repoRoot, 'runs', 'demo');
const exportOf = (demo: string): string => path.join(demo, 'pole_full', 'export', 'cam_model.onnx');

describe('CAM preview hover on the demo after the main job', () => {
  let imageId = '';
  let classes: string[] = [];
  let demo = mainJobDemo;
  let made: string | null = null; // the demo-like folder made here, removed after

  before(async function () {
    this.timeout(120_000);
    if (!fs.existsSync(exportOf(demo))) {
      if (!fs.existsSync(enginePython())) this.skip(); // no engine venv: scripts/setup.sh first
      made = demo = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-demo-like-'));
      execFileSync(enginePython(), [path.join(repoRoot, 'test/integration/fixtures/make_demo_run.py'), demo], {
        env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      assert.ok(fs.existsSync(exportOf(demo)), `the fixture wrote ${exportOf(demo)}`);
    }
    await wsssExtension().activate();
    const runDir = path.join(demo, 'pole_full');
    const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
      dataset: { root: string; classes: string[] };
    };
    classes = config.dataset.classes;
    // config.json's dataset.root: relative to the run folder when inside the project (docs/ARCHITECTURE.md)
    const list = path.join(path.resolve(runDir, config.dataset.root), 'ImageSets', 'Segmentation', 'train.txt');
    imageId = fs.readFileSync(list, 'utf8').split(/\s+/)[0];
    await vscode.workspace
      .getConfiguration('wsss')
      .update('previewRun', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace
      .getConfiguration('wsss')
      .update('runSearchFolders', [demo], vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('wsss')
      .update('runSearchFolders', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (made) fs.rmSync(made, { recursive: true, force: true });
  });

  it("hovering a demo image id shows the POLE run's CAM preview", async function () {
    this.timeout(60_000);
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `{"ids": ["${imageId}"]}\n` });
    await vscode.window.showTextDocument(doc);
    const at = doc.positionAt(doc.getText().indexOf(imageId) + 2);
    let text = '';
    const end = Date.now() + 30_000; // the preview source is re-read a few seconds after a settings change
    while (Date.now() < end) {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at);
      text = hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
        .join('\n');
      if (/data:image\/png;base64/.test(text)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(
      text,
      new RegExp(`!\\[CAM preview of ${imageId}[^\\]]*\\]\\(data:image/png;base64,[A-Za-z0-9+/=]{200,}\\)`),
      text.slice(0, 400),
    );
    assert.ok(
      classes.some((c) => text.includes(`| ${c} |`)),
      text.slice(0, 600),
    );
    assert.match(text, /pole_full|synthetic-pole_full/);
  });
});
