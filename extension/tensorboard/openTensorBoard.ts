/**
 * WSSS: Open in TensorBoard — a run's <run>/events in TensorBoard, launched from the engine's Python
 * (./tensorboardLauncher.ts) and shown in VS Code's Simple Browser (or the external browser when that is
 * not available). Needs a trusted workspace: it runs the workspace's Python.
 */
import * as vscode from 'vscode';
import type { EngineHost } from '../engine/engineHost';
import { runDirOf } from '../runs/runController';
import { showTrustRefusal } from '../runs/runMessages';
import { pickRunFolder } from '../runs/runPicking';
import { eventsDirOf, TensorBoardError, tensorBoardVersion, type TensorBoards } from './tensorboardLauncher';

async function show(url: string, title: string): Promise<void> {
  const external = await vscode.env.asExternalUri(vscode.Uri.parse(url)); // forwarded when VS Code is remote
  try {
    await vscode.commands.executeCommand('simpleBrowser.show', external.toString());
  } catch {
    await vscode.env.openExternal(external);
  }
  void vscode.window.setStatusBarMessage(`TensorBoard for ${title}: ${url}`, 10_000);
}

/** Opens the run's TensorBoard; resolves to its URL (for tests and other code), undefined when none opened. */
export async function openTensorBoard(
  arg: unknown,
  host: EngineHost,
  boards: TensorBoards,
): Promise<string | undefined> {
  if (!host.allowed) return void showTrustRefusal('start TensorBoard');
  const runDir = runDirOf(arg) ?? (await pickRunFolder('Open which run in TensorBoard?', () => true));
  if (!runDir) return undefined;
  try {
    const logdir = await eventsDirOf(runDir);
    const server = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Starting TensorBoard…' },
      async () => {
        const python = (await host.enginePython()).pythonPath;
        await tensorBoardVersion(python);
        return boards.open(python, logdir);
      },
    );
    host.output.appendLine(`[wsss] TensorBoard for ${logdir} at ${server.url}`);
    await show(server.url, runDir);
    return server.url;
  } catch (error) {
    const err = error as Error;
    const hint = error instanceof TensorBoardError ? error.hint : '';
    host.output.appendLine(`[wsss] Open in TensorBoard: ${err.message} ${hint}`);
    void vscode.window
      .showErrorMessage(hint ? `${err.message} ${hint}` : err.message, 'Show Engine Log')
      .then((a) => a && host.showLog());
    return undefined;
  }
}
