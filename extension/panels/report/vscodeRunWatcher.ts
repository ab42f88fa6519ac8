// RunWatcher on VS Code's FileSystemWatcher (works for run folders outside the workspace too), for the
// report panel: metrics.jsonl appends -> onMetrics; run.json or reports/*.json -> onRunFiles.
import * as vscode from 'vscode';
import type { Disposable, RunWatcher } from './reportSession';

export class VscodeRunWatcher implements RunWatcher {
  watch(runDir: string, onMetrics: () => void, onRunFiles: () => void): Disposable {
    const base = vscode.Uri.file(runDir);
    const metrics = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, 'metrics.jsonl'));
    const runFiles = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(base, '{run.json,reports/*.json}'),
    );
    const subscriptions = [
      metrics,
      runFiles,
      metrics.onDidChange(onMetrics),
      metrics.onDidCreate(onMetrics),
      metrics.onDidDelete(onMetrics),
      runFiles.onDidChange(onRunFiles),
      runFiles.onDidCreate(onRunFiles),
      runFiles.onDidDelete(onRunFiles),
    ];
    return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
  }
}
