// Start, stop and resume experiments through the engine (experiment/* requests, protocol/experiments.ts):
// palette commands, the progress of the running unit in the status bar, the outcome as a message whose action
// opens the table in the mIoU report. The runs tree reads the experiment folders itself (runsTree.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentFinishedParams, ExperimentStateResult } from '../../protocol/experiments';
import { EngineRequestError } from '../engine/engineErrors';
import type { EngineHost } from '../engine/engineHost';
import type { EngineStatus } from '../engine/engineStatus';
import { readSettings } from '../settings';
import { workspaceRunRoots } from '../runs/runPicking';
import { showConfigProblems, showEngineError, showTrustRefusal } from '../runs/runMessages';
import { experimentDirFor, listExperimentFolders, readExperimentFolder } from './experimentFolder';

/** What wsss.startExperiment accepts: nothing (pick), an experiment file Uri, or {experimentPath, experimentDir?}. */
export type StartExperimentArg = undefined | vscode.Uri | { experimentPath: string; experimentDir?: string };

/** Planning a synthetic base makes the world and trains the tiny CLIP first: minutes, not seconds. */
const START_TIMEOUT_MS = 15 * 60_000;

export class ExperimentController implements vscode.Disposable {
  /** Experiments this window's engine runs: folder -> name. */
  private readonly active = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when an experiment starts, progresses to another run, or ends (the runs tree refreshes). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly host: EngineHost,
    private readonly status: EngineStatus,
  ) {
    let unit = '';
    this.disposables.push(
      host.engine.onExperimentProgress((p) => {
        const name = this.active.get(p.experimentDir);
        if (name === undefined) return;
        this.status.setBusy(`${name}: ${p.unit} ${p.stageId} ${p.done}/${p.total}`);
        if (p.unit !== unit) this.changed.fire();
        unit = p.unit;
      }),
      host.engine.onExperimentFinished((f) => this.finished(f)),
      host.engine.onDidChangeState((change) => {
        if (change.state === 'crashed' || change.state === 'stopped') this.active.clear();
      }),
    );
  }

  /** Whether this window's engine runs the experiment in `dir`. */
  isActive(dir: string): boolean {
    return this.active.has(path.resolve(dir));
  }

  /** wsss.startExperiment: the engine expands and validates every variant, then runs them; resolves with the plan. */
  async start(arg?: StartExperimentArg): Promise<ExperimentStateResult | undefined> {
    if (!this.host.allowed) return showTrustRefusal('start an experiment');
    const experimentPath =
      arg instanceof vscode.Uri ? arg.fsPath : (arg?.experimentPath ?? (await pickExperimentFile()));
    if (!experimentPath) return undefined;
    const explicit = arg && !(arg instanceof vscode.Uri) ? arg.experimentDir : undefined;
    const experimentDir = path.resolve(explicit ?? experimentDirFor(experimentPath, readSettings().runsDirectory));
    try {
      await this.host.ensureReady('start an experiment');
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Planning the experiment' },
        () =>
          this.host.engine.request(
            'experiment/start',
            { experimentPath, experimentDir },
            { timeoutMs: START_TIMEOUT_MS },
          ),
      );
      return this.began(result);
    } catch (error) {
      if (error instanceof EngineRequestError && error.kind === 'ConfigInvalid' && error.problems.length) {
        showConfigProblems(experimentPath, error.problems);
        return undefined;
      }
      showEngineError('Could not start the experiment', error, this.host);
      return undefined;
    }
  }

  /** wsss.resumeExperiment: completed runs are kept, the interrupted one resumes from its checkpoints. */
  async resume(arg?: unknown): Promise<ExperimentStateResult | undefined> {
    if (!this.host.allowed) return showTrustRefusal('resume an experiment');
    const experimentDir = experimentDirOf(arg) ?? (await pickExperimentFolder('Resume which experiment?', false));
    if (!experimentDir) return undefined;
    try {
      await this.host.ensureReady('resume an experiment');
      return this.began(await this.host.engine.request('experiment/resume', { experimentDir }));
    } catch (error) {
      showEngineError(`Could not resume the experiment in ${experimentDir}`, error, this.host);
      return undefined;
    }
  }

  /** wsss.stopExperiment: the running run saves its checkpoint and the experiment stops. */
  async stop(arg?: unknown): Promise<boolean> {
    const experimentDir = experimentDirOf(arg) ?? [...this.active.keys()][0];
    if (!experimentDir) {
      void vscode.window.showInformationMessage('No WSSS experiment is running in this window.');
      return false;
    }
    try {
      const { stopped } = await this.host.engine.request('experiment/stop', { experimentDir });
      return stopped;
    } catch (error) {
      showEngineError('Could not stop the experiment', error, this.host);
      return false;
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private began(result: ExperimentStateResult): ExperimentStateResult {
    this.active.set(path.resolve(result.experimentDir), result.name);
    this.host.output.appendLine(
      `[wsss] experiment "${result.name}": ${result.units.length} run(s) in ${result.experimentDir}`,
    );
    void vscode.commands.executeCommand('setContext', 'wsss.experimentActive', true);
    this.changed.fire();
    return result;
  }

  private finished(f: ExperimentFinishedParams): void {
    const dir = path.resolve(f.experimentDir);
    const name = this.active.get(dir) ?? path.basename(dir);
    this.active.delete(dir);
    this.status.setBusy(undefined);
    void vscode.commands.executeCommand('setContext', 'wsss.experimentActive', this.active.size > 0);
    this.changed.fire();
    if (f.status === 'completed') {
      void vscode.window
        .showInformationMessage(`WSSS experiment "${name}" completed.`, 'Open Table')
        .then((a) => a && vscode.commands.executeCommand('wsss.openExperimentTable', dir));
    } else if (f.status === 'cancelled') {
      void vscode.window
        .showInformationMessage(`WSSS experiment "${name}" was stopped; it can resume.`, 'Resume')
        .then((a) => a && this.resume(dir));
    } else {
      const why = f.error ? `${f.error.unit ? `${f.error.unit}: ` : ''}${f.error.message} ${f.error.hint}` : '';
      void vscode.window
        .showErrorMessage(`WSSS experiment "${name}" failed: ${why}`, 'Show Engine Log', 'Resume')
        .then((a) => {
          if (a === 'Show Engine Log') this.host.showLog();
          if (a === 'Resume') void this.resume(dir);
        });
    }
  }
}

/** wsss.openExperimentTable: the mIoU report on the experiment's first variant run, with the experiment table. */
export async function openExperimentTable(arg?: unknown): Promise<void> {
  const dir = experimentDirOf(arg) ?? (await pickExperimentFolder('Show which experiment?', true));
  if (!dir) return;
  const { state } = await readExperimentFolder(dir);
  const first = state.units.find((u) => u.kind === 'variant');
  if (first) await vscode.commands.executeCommand('wsss.openReport', path.join(dir, first.runDir));
}

/** The experiment folder an argument names: a tree item ({experimentDir}), a path, or a Uri. */
export function experimentDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const dir = (arg as { experimentDir?: unknown } | undefined)?.experimentDir;
  return typeof dir === 'string' ? dir : undefined;
}

async function pickExperimentFile(): Promise<string | undefined> {
  const found = await vscode.workspace.findFiles('**/*.wsss-experiment.json', '**/{node_modules,.venv,.git}/**', 200);
  const pick = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: found.length ? 'Start which experiment?' : 'No *.wsss-experiment.json in this workspace' },
  );
  return pick?.uri.fsPath;
}

async function pickExperimentFolder(placeHolder: string, completed: boolean): Promise<string | undefined> {
  const all = await listExperimentFolders(workspaceRunRoots());
  const candidates = all.filter((e) => (e.state.status === 'completed') === completed);
  const pick = await vscode.window.showQuickPick(
    candidates.map((e) => ({ label: e.state.name, description: e.state.status, detail: e.dir, dir: e.dir })),
    { placeHolder: candidates.length ? placeHolder : 'No matching experiment folders in the workspace' },
  );
  return pick?.dir;
}
