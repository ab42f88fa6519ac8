// One running (or queued) run as the user sees it: a cancellable progress notification (cancel -> run/cancel)
// whose bar covers all stages of the run, "queued behind <run>" while it waits, and the status bar's text.
import * as vscode from 'vscode';
import type { RunProgressParams } from '../../protocol/engine';

export class RunProgressView {
  private report: ((value: { message?: string; increment?: number }) => void) | undefined;
  private finish: (() => void) | undefined;
  private shownPercent = 0;
  private cancelling = false;
  private closed = false;
  private waiting: string | undefined;
  /** Short text for the status bar ("clims 42%"). */
  statusText = 'starting';

  constructor(
    readonly runId: string,
    readonly runDir: string,
    readonly name: string,
    /** Stage ids in run order (from run.json), to turn a stage's done/total into the run's percentage. */
    private readonly stageIds: readonly string[],
    onCancel: () => void,
  ) {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `WSSS run "${name}"`, cancellable: true },
      (progress, token) => {
        this.report = (value) => progress.report(value);
        if (this.waiting) this.report({ message: this.waiting });
        token.onCancellationRequested(() => {
          this.cancelling = true;
          progress.report({ message: 'cancelling (the stage saves a checkpoint)…' });
          onCancel();
        });
        return new Promise<void>((resolve) => {
          this.finish = resolve;
          if (this.closed) resolve();
        });
      },
    );
  }

  /** The run waits in the engine's queue for `behind` (another run, maybe of another window or the CLI). */
  queued(behind: string): void {
    this.waiting = `queued behind "${behind}" (stop it to remove it from the queue)`;
    this.statusText = 'queued';
    this.report?.({ message: this.waiting });
  }

  /** A `run/progress` notification of this run. */
  update(p: RunProgressParams): void {
    this.waiting = undefined;
    const stageFraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const index = this.stageIds.indexOf(p.stageId);
    const percent = index >= 0 ? (100 * (index + stageFraction)) / this.stageIds.length : undefined;
    const increment = percent !== undefined && percent > this.shownPercent ? percent - this.shownPercent : undefined;
    if (increment !== undefined) this.shownPercent = percent!;
    const counts = p.total > 0 ? ` ${p.done}/${p.total}` : '';
    const stage = index >= 0 ? `stage ${index + 1}/${this.stageIds.length} ` : '';
    if (!this.cancelling)
      this.report?.({ message: `${stage}${p.stageId}${counts}${p.message ? ` — ${p.message}` : ''}`, increment });
    this.statusText = `${p.stageId} ${Math.round(100 * stageFraction)}%`;
  }

  /** Closes the notification (the run finished, failed, or the engine went away). */
  close(): void {
    this.closed = true;
    this.finish?.();
  }
}
