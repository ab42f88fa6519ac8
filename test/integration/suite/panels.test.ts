// The dataset browser and CAM overlay panels opened through their commands in the real VS Code: the webview
// loads under the real CSP, says ready, gets its snapshot and asks the host for thumbnails / CAMs
// (counted by the internal `wsss.panels.status` command); closing the panel disposes its host side.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { enginePython, repoRoot, sharedDir } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';

interface PanelStatus {
  viewType: string;
  title: string;
  visible: boolean;
  snapshots: number;
  requests: number;
  failedRequests: number;
}

async function status(viewType: string): Promise<PanelStatus | undefined> {
  const all = await vscode.commands.executeCommand<PanelStatus[]>('wsss.panels.status');
  return all.find((s) => s.viewType === viewType);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function webviewTab(viewType: string): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes(viewType));
}

describe('WSSS panels in a real VS Code', () => {
  const photos = path.join(sharedDir(), 'data', 'photos');

  before(async () => {
    await wsssExtension().activate();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens the dataset browser on the photos through its command; the webview asks for thumbnails', async function () {
    if (!fs.existsSync(photos)) this.skip();
    await vscode.commands.executeCommand('wsss.openDatasetBrowser', vscode.Uri.file(photos));
    await waitFor('a Dataset Browser tab', async () => webviewTab('wsss.datasetBrowser'), 10_000);
    const s = await waitFor('thumbnail requests from the webview', async () => {
      const st = await status('wsss.datasetBrowser');
      return st && st.snapshots >= 1 && st.requests >= 1 ? st : undefined;
    });
    assert.equal(s.failedRequests, 0);
    assert.equal(s.title, 'Dataset Browser');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the panel to be disposed', async () => (await status('wsss.datasetBrowser')) === undefined);
  });

  it('opens the CAM overlays on a run folder in the workspace; the webview loads its CAMs', async function () {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!workspace || !fs.existsSync(photos) || !fs.existsSync(enginePython())) this.skip();
    const runs = path.join(workspace!, 'runs');
    fs.mkdirSync(runs, { recursive: true });
    execFileSync(
      enginePython(),
      [path.join(repoRoot, 'test/webview/fixtures/make_cam_runs.py'), runs, photos, '000000000042'],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine') } },
    );
    await vscode.commands.executeCommand('wsss.openCamOverlays', path.join(runs, 'pole-selected'));
    await waitFor('a CAM Overlays tab', async () => webviewTab('wsss.camOverlays'), 10_000);
    const s = await waitFor('cam/images and cam/view requests', async () => {
      const st = await status('wsss.camOverlays');
      return st && st.snapshots >= 1 && st.requests >= 2 ? st : undefined;
    });
    assert.equal(s.failedRequests, 0);
  });
});
