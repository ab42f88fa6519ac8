// How run and engine failures reach the user: one message naming what failed and why, with the action
// that helps (show the log, trust the workspace).
import * as vscode from 'vscode';
import { EngineExitedError, EngineRequestError } from '../engine/engineErrors';
import { WorkspaceNotTrustedError, type EngineHost } from '../engine/engineHost';

/** Explains that this needs a trusted workspace; resolves undefined (nothing was started). */
export function showTrustRefusal(action: string): undefined {
  const message = new WorkspaceNotTrustedError(action).message;
  void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((a) =>
    a && vscode.commands.executeCommand('workbench.trust.manage'));
  return undefined;
}

/** Shows `error` under `what` ("Could not start the run"), with the engine log one click away. */
export function showEngineError(what: string, error: unknown, host: EngineHost): void {
  if (error instanceof WorkspaceNotTrustedError) {
    showTrustRefusal('use the engine');
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  // A crash message carries the traceback's last lines: the log has them all, the popup gets the first line.
  const text = err instanceof EngineExitedError ? err.message.split('\n')[0] : err.message;
  const kind = err instanceof EngineRequestError && err.kind ? ` [${err.kind}]` : '';
  host.output.appendLine(`[wsss] ${what}: ${err.message}`);
  void vscode.window.showErrorMessage(`${what}${kind}: ${text}`, 'Show Engine Log').then((a) => a && host.showLog());
}
