// Choosing what to run or resume: run configs (*.wsss-run.json) in the workspace, run folders under the
// runs directory and the workspace folders (runFolder.ts findRunFolders), and the name of a new run's folder.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../settings';
import { listRunFolders, runLabels, runSearchRoots, type RunFolderInfo } from './runFolder';

/** Where runs are looked for: the runs directory and the workspace folders. */
export function workspaceRunRoots(): string[] {
  return runSearchRoots(
    readSettings().runsDirectory,
    (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    readSettings().runSearchFolders,
  );
}

/** Every run folder under the runs directory and the workspace folders (empty when there is no workspace). */
export async function workspaceRuns(): Promise<Awaited<ReturnType<typeof listRunFolders>>> {
  return listRunFolders(workspaceRunRoots());
}

/** Asks for a run config: the workspace's *.wsss-run.json files, or any JSON file through a dialog. */
export async function pickRunConfig(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles('**/*.wsss-run.json', '**/{node_modules,.venv,runs,.git}/**', 200);
  const browse = { label: '$(folder-opened) Browse…', description: 'any run config JSON file', uri: undefined };
  const items = [
    ...found
      .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
      .map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
    browse,
  ];
  const pick = await vscode.window.showQuickPick(items, {
    placeHolder: found.length
      ? 'Start a run from which config?'
      : 'No *.wsss-run.json in this workspace: browse for a run config',
  });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri.fsPath;
  const chosen = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Run config': ['json'] },
    openLabel: 'Start Run',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return chosen?.[0]?.fsPath;
}

/** Asks for a run folder among those `filter` accepts; says so when there is none. */
export async function pickRunFolder(
  placeHolder: string,
  filter: (run: RunFolderInfo) => boolean,
): Promise<string | undefined> {
  const { runs } = await workspaceRuns();
  const labels = runLabels(runs);
  const candidates = runs.filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(
      `No matching run folders up to 3 levels below ${workspaceRunRoots().join(', ') || 'any folder (open a folder first)'}.`,
    );
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map((r) => ({
      label: labels.get(r.dir) ?? r.record.name,
      description: `${r.record.status}${r.record.synthetic ? ' · synthetic' : ''}`,
      detail: r.dir,
      dir: r.dir,
    })),
    { placeHolder },
  );
  return pick?.dir;
}
