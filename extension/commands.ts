// Command registration only: each command id (package.json "contributes.commands") -> the function that
// does it. The work lives with its concern (runs/, engine/).
import * as vscode from 'vscode';
import { describeEngine, type EngineHost } from './engine/engineHost';
import {
  openExperimentTable,
  type ExperimentController,
  type StartExperimentArg,
} from './experiments/experimentController';
import { openRunFolder } from './runs/openRunFolder';
import type { RunController, StartRunArg } from './runs/runController';
import { addRunSearchFolder } from './runs/runSearchFolders';
import { setUpEngine } from './setup/engineSetup';
import { showEngineError, showTrustRefusal } from './runs/runMessages';
import type { RunsTree } from './runs/runsTree';
import { openTensorBoard } from './tensorboard/openTensorBoard';
import { TensorBoards } from './tensorboard/tensorboardLauncher';

export function registerCommands(
  context: vscode.ExtensionContext,
  host: EngineHost,
  runs: RunController,
  tree: RunsTree,
  experiments: ExperimentController,
): void {
  const register = <A extends unknown[]>(id: string, run: (...args: A) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  register('wsss.startRun', (arg?: StartRunArg) => runs.startRun(arg));
  register('wsss.stopRun', (arg?: unknown) => runs.stopRun(arg));
  register('wsss.resumeRun', (arg?: unknown) => runs.resumeRun(arg));
  register('wsss.openRunFolder', (arg?: unknown) => openRunFolder(arg));
  register('wsss.restartEngine', () => restartEngine(host));
  register('wsss.showEngineLog', () => host.showLog());
  register('wsss.refreshRuns', () => tree.refresh());
  register('wsss.startExperiment', (arg?: StartExperimentArg) => experiments.start(arg));
  register('wsss.stopExperiment', (arg?: unknown) => experiments.stop(arg));
  register('wsss.resumeExperiment', (arg?: unknown) => experiments.resume(arg));
  register('wsss.openExperimentTable', (arg?: unknown) => openExperimentTable(arg));
  const boards = new TensorBoards();
  context.subscriptions.push(boards);
  register('wsss.openTensorBoard', (arg?: unknown) => openTensorBoard(arg, host, boards));
  register('wsss.addRunSearchFolder', (arg?: unknown) => addRunSearchFolder(arg));
  register('wsss.setUpEngine', () => setUpEngine(context.extensionUri.fsPath, host.output));
}

async function restartEngine(host: EngineHost): Promise<void> {
  if (!host.allowed) return showTrustRefusal('start the engine');
  try {
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Restarting the WSSS engine' },
      () => host.restart(),
    );
    void vscode.window.setStatusBarMessage(`WSSS engine ready: ${describeEngine(info)}`, 5000);
  } catch (error) {
    showEngineError('Could not start the WSSS engine', error, host);
  }
}
