// wsss.addRunSearchFolder: adds a folder to the setting wsss.runSearchFolders, so that the runs view, the panels
// and the previews list the runs below it too (runFolder.ts runSearchRoots).
import * as vscode from 'vscode';
import { readSettings } from '../settings';

export async function addRunSearchFolder(arg?: unknown): Promise<void> {
  const folder =
    arg instanceof vscode.Uri
      ? arg.fsPath
      : (
          await vscode.window.showOpenDialog({
            title: 'Add a folder to search for runs (folders holding run.json)',
            canSelectFolders: true,
            canSelectFiles: false,
            canSelectMany: false,
            openLabel: 'Search for Runs Here',
          })
        )?.[0]?.fsPath;
  if (!folder) return;
  const config = vscode.workspace.getConfiguration('wsss');
  const current = config.get<unknown>('runSearchFolders', []);
  const list = Array.isArray(current) ? current.filter((f): f is string => typeof f === 'string') : [];
  if (readSettings().runSearchFolders.includes(folder) || list.includes(folder)) return;
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await config.update('runSearchFolders', [...list, folder], target);
  void vscode.window.setStatusBarMessage(`WSSS: searching ${folder} for runs`, 5000);
}
