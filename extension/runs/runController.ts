// Start, stop and resume runs through the engine; progress in a cancellable notification and the status
// bar; outcomes as messages. With the engine daemon (docs/ARCHITECTURE.md, "Engine daemon") the window shows
// every run of the daemon: on connecting it reattaches to the running and queued ones (run/list), and runs that
// other windows or the CLI start arrive as run/started. When the engine dies mid-run, the message offers
// Resume, which restarts the engine and resumes the run from its last checkpoint ("Run folder").
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunFinishedParams, RunProgressParams, RunStartResult } from '../../protocol/engine';
import { EngineRequestError } from '../engine/engineErrors';
import type { EngineHost } from '../engine/engineHost';
import type { EngineStatus } from '../engine/engineStatus';
import { readSettings } from '../settings';
import { pickRunConfig, pickRunFolder } from './runPicking';
import { runDirFor } from './runFolder';
import { RunProgressView } from './runProgressView';
import { withHint } from '../errorText';
import { showConfigProblems, showEngineError, showTrustRefusal } from './runMessages';

/** What wsss.startRun accepts: nothing (pick), a config file Uri, or {configPath, runDir?} (tests, other code). */
export type StartRunArg = undefined | vscode.Uri | { configPath: string; runDir?: string };

export class RunController implements vscode.Disposable {
  private readonly active = new Map<string, RunProgressView>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts or ends in this window (the runs tree refreshes). */
  readonly onDidChangeRuns = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** Whether the engine last connected was the shared daemon (its runs outlive this window's connection). */
  private sharedEngine = false;

  constructor(
    private readonly host: EngineHost,
    private readonly status: EngineStatus,
  ) {
    const engine = host.engine;
    this.disposables.push(
      engine.onRunProgress((p) => {
        const view = this.active.get(p.runId);
        if (!view) return;
        view.update(p);
        this.status.setBusy(view.statusText);
      }),
      engine.onRunStarted((s) => this.track(s)),
      engine.onRunFinished((f) => this.finished(f)),
      engine.onDidChangeState((change) => {
        if (change.state === 'ready' && !this.sharedEngine && engine.shared) {
          this.sharedEngine = true;
          void this.reattach();
        }
        if (change.state === 'crashed' || change.state === 'stopped') this.engineWentAway(change.state, change.error);
      }),
    );
  }

  /** Runs in progress in this window. */
  get activeRuns(): readonly { runId: string; runDir: string; name: string }[] {
    return [...this.active.values()];
  }

  /** wsss.startRun: starts the run (the engine validates the config then), resolves once the engine has started it. */
  async startRun(arg?: StartRunArg): Promise<RunStartResult | undefined> {
    if (!this.host.allowed) return showTrustRefusal('start a run');
    const configPath = arg instanceof vscode.Uri ? arg.fsPath : (arg?.configPath ?? (await pickRunConfig()));
    if (!configPath) return undefined;
    try {
      await this.host.ensureReady('start a run');
      const runsDirectory = readSettings().runsDirectory ?? path.dirname(configPath);
      const runDir = (arg && !(arg instanceof vscode.Uri) && arg.runDir) || runDirFor(configPath, runsDirectory);
      return await this.begin(configPath, runDir, false);
    } catch (error) {
      if (error instanceof EngineRequestError && error.kind === 'ConfigInvalid' && error.problems.length) {
        showConfigProblems(configPath, error.problems);
        return undefined;
      }
      showEngineError('Could not start the run', error, this.host);
      return undefined;
    }
  }

  /** wsss.resumeRun: resumes a run folder (argument: tree item, path, Uri; else picked) from its checkpoints. */
  async resumeRun(arg?: unknown): Promise<RunStartResult | undefined> {
    if (!this.host.allowed) return showTrustRefusal('resume a run');
    const runDir = runDirOf(arg) ?? (await pickRunFolder('Resume which run?', (r) => r.record.status !== 'completed'));
    if (!runDir) return undefined;
    try {
      await this.host.ensureReady('resume a run');
      return await this.begin(undefined, runDir, true);
    } catch (error) {
      showEngineError(`Could not resume the run in ${runDir}`, error, this.host);
      return undefined;
    }
  }

  /** wsss.stopRun: asks the engine to cancel a run (it saves a checkpoint first). */
  async stopRun(arg?: unknown): Promise<void> {
    const wanted = runDirOf(arg);
    let view = [...this.active.values()].find(
      (v) => wanted === undefined || path.resolve(v.runDir) === path.resolve(wanted),
    );
    if (this.active.size > 1 && wanted === undefined) {
      const pick = await vscode.window.showQuickPick(
        [...this.active.values()].map((v) => ({ label: v.name, description: v.runDir, view: v })),
        { placeHolder: 'Stop which run?' },
      );
      view = pick?.view;
    }
    if (!view) {
      if (this.active.size === 0) void vscode.window.showInformationMessage('No WSSS run is running in this window.');
      return;
    }
    await this.cancel(view);
  }

  dispose(): void {
    for (const view of this.active.values()) view.close();
    this.active.clear();
    for (const d of this.disposables) d.dispose();
  }

  private async begin(configPath: string | undefined, runDir: string, resume: boolean): Promise<RunStartResult> {
    const engine = this.host.engine;
    const started = await engine.request('run/start', configPath ? { configPath, runDir, resume } : { runDir, resume });
    this.track(started);
    const queued = started.queuedBehind ? `, queued behind "${started.queuedBehind.name}"` : '';
    this.host.output.appendLine(
      `[wsss] ${resume ? 'resumed' : 'started'} run ${started.runId} in ${started.runDir}${queued}`,
    );
    return started;
  }

  /** Shows a run of the engine (started here, by another window or the CLI, or found on reattaching); once. */
  private track(run: RunStartResult, progress?: RunProgressParams | null): void {
    if (this.active.has(run.runId)) return;
    const view: RunProgressView = new RunProgressView(
      run.runId,
      run.runDir,
      run.name,
      run.stages.map((s) => s.id),
      () => void this.cancel(view),
    );
    if (run.queuedBehind) view.queued(run.queuedBehind.name);
    if (progress) view.update(progress);
    this.active.set(run.runId, view);
    this.status.setBusy(view.statusText);
    this.activeChanged();
  }

  /** Connected to the daemon: show its running and queued runs (this window's before a reload, others'). */
  private async reattach(): Promise<void> {
    try {
      const { runs } = await this.host.engine.request('run/list', {});
      const live = runs.filter((r) => r.status === 'running' || r.status === 'created');
      for (const r of live) this.track(r, r.progress);
      if (live.length) this.host.output.appendLine(`[wsss] the engine daemon runs ${live.length} run(s): shown here`);
    } catch (error) {
      this.host.output.appendLine(`[wsss] could not list the engine daemon's runs: ${(error as Error).message}`);
    }
  }

  private async cancel(view: RunProgressView): Promise<void> {
    try {
      const { cancelled } = await this.host.engine.request('run/cancel', { runId: view.runId });
      if (!cancelled) this.end(view.runId);
    } catch (error) {
      showEngineError(`Could not stop run "${view.name}"`, error, this.host);
    }
  }

  private finished(f: RunFinishedParams): void {
    const view = this.active.get(f.runId);
    const name = view?.name ?? f.runId;
    this.end(f.runId);
    const runDir = view?.runDir;
    if (f.removedFromQueue) {
      void vscode.window.showInformationMessage(`WSSS run "${name}" was removed from the queue; it never started.`);
    } else if (f.status === 'completed') {
      void vscode.window
        .showInformationMessage(`WSSS run "${name}" completed.`, 'Open Run Folder')
        .then((a) => a && vscode.commands.executeCommand('wsss.openRunFolder', runDir));
    } else if (f.status === 'cancelled') {
      void vscode.window
        .showInformationMessage(`WSSS run "${name}" was stopped; it can resume from its last checkpoint.`, 'Resume')
        .then((a) => a && this.resumeRun(runDir));
    } else {
      const why = f.error ? withHint(f.error.message ?? f.error.kind, f.error.hint) : 'no reason given';
      void vscode.window
        .showErrorMessage(`WSSS run "${name}" failed: ${why}`, 'Show Engine Log', 'Resume')
        .then((a) => {
          if (a === 'Show Engine Log') this.host.showLog();
          if (a === 'Resume') void this.resumeRun(runDir);
        });
    }
  }

  /** The engine crashed or was stopped while runs were active: they can resume from their checkpoints. With the
   *  daemon, this window only left it (a reconnect shows the runs again) or lost its connection. */
  private engineWentAway(state: 'crashed' | 'stopped', error: Error | undefined): void {
    const shared = this.sharedEngine;
    this.sharedEngine = false;
    if (shared) {
      const views = [...this.active.values()];
      for (const view of views) this.end(view.runId);
      if (state === 'crashed' && views.length) {
        void vscode.window
          .showErrorMessage(
            `Lost the connection to the WSSS engine daemon during ${views.length} run(s) ` +
              `(${error?.message.split('\n')[0] ?? 'no reason given'}).`,
            'Reconnect',
            'Show Engine Log',
          )
          .then((action) => {
            if (action === 'Show Engine Log') this.host.showLog();
            if (action === 'Reconnect')
              void this.host
                .ensureReady('reconnect')
                .catch((e: unknown) => showEngineError('Could not reconnect', e, this.host));
          });
      }
      return;
    }
    for (const view of [...this.active.values()]) {
      this.end(view.runId);
      const why = error ? error.message.split('\n')[0] : 'the engine was stopped';
      void vscode.window
        .showErrorMessage(
          `The WSSS engine stopped during run "${view.name}" (${why}). The run can resume from its last checkpoint.`,
          'Resume',
          'Show Engine Log',
        )
        .then(async (action) => {
          if (action === 'Show Engine Log') this.host.showLog();
          if (action !== 'Resume') return;
          try {
            if (this.host.engine.state !== 'ready') await this.host.restart();
            await this.resumeRun(view.runDir);
          } catch (e) {
            showEngineError('Could not restart the engine', e, this.host);
          }
        });
    }
  }

  private end(runId: string): void {
    const view = this.active.get(runId);
    if (!view) return;
    view.close();
    this.active.delete(runId);
    this.status.setBusy([...this.active.values()][0]?.statusText);
    this.activeChanged();
  }

  private activeChanged(): void {
    void vscode.commands.executeCommand('setContext', 'wsss.runActive', this.active.size > 0);
    this.changed.fire();
  }
}

/** The run folder an argument names: a tree item ({runDir}), a path, or a Uri. */
export function runDirOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object' && typeof (arg as { runDir?: unknown }).runDir === 'string')
    return (arg as { runDir: string }).runDir;
  return undefined;
}
