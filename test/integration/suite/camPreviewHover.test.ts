// The inline CAM preview in a real VS Code: an engine-made `export_onnx` export (random-weight small_cnn,
// test/unit/preview/make_export.py) named by the setting wsss.previewRun; hovering an image id in a JSON
// document yields a hover with the preview PNG as a data: URI and the class names (the hover provider runs
// onnxruntime-node and sharp in the extension host); the CAM preview editor opens on the image.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { enginePython, repoRoot } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

describe('CAM preview hover in a real VS Code', () => {
  let dir: string;

  before(async function () {
    if (!fs.existsSync(enginePython())) this.skip();
    this.timeout(120_000);
    await wsssExtension().activate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-hover-'));
    execFileSync(enginePython(), [path.join(repoRoot, 'test/unit/preview/make_export.py'), dir, '--size', '64'], {
      env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await vscode.workspace
      .getConfiguration('wsss')
      .update('previewRun', path.join(dir, 'runs', 'preview-run'), vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('wsss')
      .update('previewRun', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hovering an image id in JSON shows its CAM preview image and class scores', async function () {
    this.timeout(60_000);
    const doc = await vscode.workspace.openTextDocument({
      language: 'json',
      content: '{\n  "images": ["img_0001", "not_an_image"]\n}\n',
    });
    await vscode.window.showTextDocument(doc);
    const at = doc.positionAt(doc.getText().indexOf('img_0001') + 3);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at);
    const text = hoverText(hovers);
    assert.match(
      text,
      /!\[CAM preview of img_0001\.png\]\(data:image\/png;base64,[A-Za-z0-9+/=]{200,}\)/,
      text.slice(0, 400),
    );
    for (const name of ['cat', 'dog', 'boat']) assert.match(text, new RegExp(`\\| ${name} \\|`));
    const elsewhere = doc.positionAt(doc.getText().indexOf('not_an_image') + 3);
    const none = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, elsewhere),
    );
    assert.doesNotMatch(none, /WSSS CAM preview/);
  });

  it('opens the image in the WSSS CAM Preview editor', async function () {
    this.timeout(60_000);
    await vscode.commands.executeCommand(
      'wsss.openCamPreview',
      vscode.Uri.file(path.join(dir, 'voc', 'JPEGImages', 'img_0002.jpg')),
    );
    const end = Date.now() + 20_000;
    let tab: vscode.Tab | undefined;
    while (!tab && Date.now() < end) {
      tab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'wsss.camPreview');
      if (!tab) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(tab, 'a WSSS CAM Preview tab');
  });
});
