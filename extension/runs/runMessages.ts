// How run and engine failures reach the user: one message naming what failed and why, with the action
// that helps (show the log, trust the workspace).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigProblem } from '../../protocol/engine';
import { EngineExitedError, EngineRequestError } from '../engine/engineErrors';
import { InterpreterNotFoundError } from '../engine/interpreter';
import { withHint } from '../errorText';
import { WorkspaceNotTrustedError, type EngineHost } from '../engine/engineHost';

/** Explains that this needs a trusted workspace; resolves undefined (nothing was started). */
export function showTrustRefusal(action: string): undefined {
  const message = new WorkspaceNotTrustedError(action).message;
  void vscode.window
    .showWarningMessage(message, 'Manage Workspace Trust')
    .then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
  return undefined;
}

/** A config the engine refused at run/start (ConfigInvalid): its first problems, and a button to open it. */
export function showConfigProblems(configPath: string, problems: readonly ConfigProblem[]): void {
  const shown = problems
    .slice(0, 3)
    .map((e) => (e.path ? `${e.path}: ${e.message}` : e.message))
    .join('; ');
  void vscode.window
    .showErrorMessage(
      `The run config ${path.basename(configPath)} is not valid: ${shown}` +
        (problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''),
      'Open Config',
    )
    .then((a) => a && vscode.window.showTextDocument(vscode.Uri.file(configPath)));
}

/** Shows `error` under `what` ("Could not start the run"), with the engine log one click away. */
export function showEngineError(what: string, error: unknown, host: EngineHost): void {
  if (error instanceof WorkspaceNotTrustedError) {
    showTrustRefusal('use the engine');
    return;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  // A crash message carries the traceback's last lines: the log has them all, the popup gets the first line.
  const text =
    err instanceof EngineExitedError
      ? err.message.split('\n')[0]
      : err instanceof EngineRequestError
        ? withHint(engineMessage(err), err.hint)
        : err.message;
  const kind = err instanceof EngineRequestError && err.kind ? ` [${err.kind}]` : '';
  host.output.appendLine(`[wsss] ${what}: ${err.message}`);
  const setUp = err instanceof InterpreterNotFoundError ? ['Set Up Engine'] : [];
  void vscode.window.showErrorMessage(`${what}${kind}: ${text}`, ...setUp, 'Show Engine Log').then((a) => {
    if (a === 'Set Up Engine') void vscode.commands.executeCommand('wsss.setUpEngine');
    else if (a) host.showLog();
  });
}

/** The engine's own message of a request error (EngineRequestError's text appends the hint to it). */
function engineMessage(err: EngineRequestError): string {
  return err.hint && err.message.endsWith(` ${err.hint}`) ? err.message.slice(0, -(err.hint.length + 1)) : err.message;
}
