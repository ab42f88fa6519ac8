// The hover preview on the demo right after the main job (issue 13): scripts/main.sh leaves runs/demo/ with the
// POLE + adaptors run's export_onnx model; with the demo folder searched for runs (wsss.runSearchFolders, no
// wsss.previewRun), hovering an image id of the demo's synthetic world shows its CAMs. Skipped when the main job
// has not run in this checkout (WSSS_DEMO_DIR names another demo folder).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { repoRoot } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';

const demo = process.env.WSSS_DEMO_DIR ?? path.join(repoRoot, 'runs', 'demo');
const exported = path.join(demo, 'pole_full', 'export', 'cam_model.onnx');

describe('CAM preview hover on the demo after the main job', () => {
  let imageId = '';
  let classes: string[] = [];

  before(async function () {
    if (!fs.existsSync(exported)) this.skip(); // run scripts/main.sh first
    await wsssExtension().activate();
    const config = JSON.parse(fs.readFileSync(path.join(demo, 'pole_full', 'config.json'), 'utf8')) as {
      dataset: { root: string; classes: string[] };
    };
    classes = config.dataset.classes;
    const list = path.join(config.dataset.root, 'ImageSets', 'Segmentation', 'train.txt');
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
