// wsss.openRunFolder: shows a run folder — its run.json in an editor, the folder revealed in the Explorer.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runDirOf } from './runController';
import { pickRunFolder } from './runPicking';

export async function openRunFolder(arg?: unknown): Promise<void> {
  const runDir = runDirOf(arg) ?? (await pickRunFolder('Open which run?', () => true));
  if (!runDir) return;
  const runJson = vscode.Uri.file(path.join(runDir, 'run.json'));
  try {
    await vscode.window.showTextDocument(runJson, { preview: true });
  } catch (error) {
    void vscode.window.showErrorMessage(`Cannot open ${runJson.fsPath}: ${(error as Error).message}`);
    return;
  }
  if (vscode.workspace.getWorkspaceFolder(vscode.Uri.file(runDir))) {
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(runDir));
  }
}
