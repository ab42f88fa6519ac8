// "WSSS: Set Up Engine": creates (or updates) the extension's own .venv with the engine and PyTorch by running
// the extension's scripts/setup-engine.sh (setupProcess.ts), with its output in the engine log, its last line in a
// progress notification, and Cancel killing it. Engine discovery (engine/interpreter.ts) then finds
// <extension>/.venv with no setting.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runSetup, setupCommand } from './setupProcess';

/** The command: asks nothing, shows progress, and restarts the engine when the venv is ready. */
export async function setUpEngine(extensionPath: string, output: vscode.OutputChannel): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('WSSS: setting up the engine runs Python tools; trust the workspace first.');
    return;
  }
  const { script } = setupCommand(extensionPath);
  if (!existsSync(script)) {
    void vscode.window.showErrorMessage(`WSSS: this installation has no ${script}.`, {
      modal: false,
      detail: 'Set "wsss.pythonPath" to a Python that can import wsss_engine.',
    });
    return;
  }
  output.appendLine(`[wsss] setting up the engine: bash ${script} (venv ${path.join(extensionPath, '.venv')})`);
  let code: number | null;
  try {
    code = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'WSSS: setting up the engine', cancellable: true },
      (progress, token) =>
        runSetup(
          extensionPath,
          (line) => {
            output.appendLine(line);
            progress.report({ message: line.slice(0, 120) });
          },
          token,
        ),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`WSSS: could not run the engine setup: ${(error as Error).message}`);
    return;
  }
  if (code === 0) {
    const action = await vscode.window.showInformationMessage('WSSS: the engine is set up.', 'Restart Engine');
    if (action) await vscode.commands.executeCommand('wsss.restartEngine');
  } else {
    const action = await vscode.window.showErrorMessage(
      code === null ? 'WSSS: the engine setup was cancelled.' : `WSSS: the engine setup failed (exit code ${code}).`,
      'Show Engine Log',
    );
    if (action) output.show();
  }
}
