// Host logic of the mIoU report panel: which runs are compared, the focused run's metrics.jsonl tailed
// live (watch -> throttled read, ~1 Hz, only new lines cross to the webview), and re-reading run folders
// when run.json changes. No `vscode` import: VS Code and the webview tests give it their own RunWatcher.
import { join, resolve } from 'node:path';
import type { RequestUnion } from '../../../protocol/webview/common';
import type {
  MetricRow,
  MetricsAppended,
  ReportContract,
  ReportPanelState,
  ReportSnapshot,
  RunChoice,
} from '../../../protocol/webview/report';
import { experimentViewOf } from '../../experiments/experimentFolder';
import { RpcError, Throttled, type PanelHandler } from '../panelRpc';
import { MetricsReader } from '../../runs/metricsFile';
import { publishedFor, readRunView } from './runReports';

export interface Disposable {
  dispose(): void;
}

/** Calls back when a run's metrics.jsonl or its run.json / reports change. */
export interface RunWatcher {
  watch(runDir: string, onMetrics: () => void, onRunFiles: () => void): Disposable;
}

/** What the session needs from its surroundings. */
export interface ReportEnvironment {
  /** Run folders worth offering (the workspace's runs). */
  listRuns(): Promise<RunChoice[]>;
  /** A folder dialog; [] when cancelled. */
  pickRunFolders(): Promise<string[]>;
  watcher: RunWatcher;
  /** Runs to start on when the panel opens with none (from the Command Palette): the most recent ones. */
  recentRuns?(): Promise<string[]>;
  /** Minimum time between two metrics updates sent to the webview. */
  metricsIntervalMs?: number;
}

/** What the session sends (PanelRpc in VS Code and in the tests). */
export interface ReportOutlet {
  sendSnapshot(): void;
  notifyMetrics(update: MetricsAppended): void;
}

export class ReportSession implements PanelHandler<ReportContract> {
  private runDirs: string[] = [];
  private focus: string | null = null;
  private tail: MetricsReader | undefined;
  private reading: Promise<void> = Promise.resolve();
  private rows: MetricRow[] = [];
  private metricsMessage: string | null = null;
  private badLines = 0;
  private watch: Disposable | undefined;
  private readonly poll: Throttled<void>;
  private outlet: ReportOutlet | undefined;
  /** Asked once: a user who removes every run gets an empty report, not the recent runs again. */
  private startEmpty: boolean;
  private notice: string | null = null;

  constructor(
    private readonly env: ReportEnvironment,
    initialRuns: string[] = [],
  ) {
    this.poll = new Throttled<void>(() => void this.readMetrics(true), env.metricsIntervalMs ?? 1000);
    this.runDirs = initialRuns.map((d) => resolve(d));
    this.focus = this.runDirs[0] ?? null;
    this.startEmpty = this.runDirs.length === 0;
  }

  /** Where updates go; set once the panel's channel exists. */
  attach(outlet: ReportOutlet): void {
    this.outlet = outlet;
  }

  /** Add runs (e.g. "Open in mIoU Report" on a run folder) and focus the first one. */
  async addRuns(runDirs: string[]): Promise<void> {
    const fresh = runDirs.map((d) => resolve(d)).filter((d) => !this.runDirs.includes(d));
    this.runDirs.push(...fresh);
    if (runDirs.length > 0) await this.setFocus(resolve(runDirs[0]));
    this.outlet?.sendSnapshot();
  }

  async snapshot(restored: ReportPanelState | null): Promise<ReportSnapshot> {
    if (restored?.runDirs && this.runDirs.length === 0) {
      this.runDirs = restored.runDirs;
      this.focus = restored.focus ?? restored.runDirs[0] ?? null;
    }
    if (this.startEmpty && this.runDirs.length === 0 && !restored?.runDirs && this.env.recentRuns) {
      this.runDirs = (await this.env.recentRuns()).map((d) => resolve(d));
      this.focus = this.runDirs[0] ?? null;
      if (this.runDirs.length > 0) {
        this.notice = `Opened on the ${this.runDirs.length} most recently active run(s), newest first and in focus. Add or remove runs above.`;
      }
    }
    this.startEmpty = false;
    if (this.focus && this.tail?.file !== join(this.focus, 'metrics.jsonl')) await this.setFocus(this.focus);
    const [available, views, experiment] = await Promise.all([
      this.env.listRuns(),
      Promise.all(this.runDirs.map(readRunView)),
      this.focus ? experimentViewOf(this.focus) : null,
    ]);
    // The pickers' labels tell runs of one name apart (runFolder.ts runLabels); chips, table and legends use them.
    const runs = views.map((r) => ({ ...r, label: available.find((a) => a.runDir === r.runDir)?.label ?? r.label }));
    return {
      available,
      runs,
      focus: this.focus,
      metrics: [...this.rows],
      metricsMessage: this.message(),
      published: publishedFor(runs),
      experiment,
      notice: this.notice,
    };
  }

  async handleRequest(request: RequestUnion<ReportContract['requests']>): Promise<unknown> {
    switch (request.method) {
      case 'report/setRuns': {
        this.notice = null;
        const runDirs = request.params.runDirs.map((d) => resolve(d));
        const focus = request.params.focus ? resolve(request.params.focus) : (runDirs[0] ?? null);
        if (focus && !runDirs.includes(focus))
          throw new RpcError('badInput', `The focused run ${focus} is not among the compared runs.`);
        this.runDirs = runDirs;
        await this.setFocus(focus);
        this.outlet?.sendSnapshot();
        return null;
      }
      case 'report/browseRuns': {
        const picked = await this.env.pickRunFolders();
        if (picked.length > 0) await this.addRuns(picked);
        return null;
      }
      case 'report/refresh':
        await this.readMetrics(true);
        this.outlet?.sendSnapshot();
        return null;
      default:
        throw new RpcError(
          'unknownMethod',
          `The report panel does not serve '${(request as { method: string }).method}'.`,
        );
    }
  }

  dispose(): void {
    this.poll.dispose();
    this.watch?.dispose();
    this.watch = undefined;
  }

  /** Start tailing the focused run from the beginning, watching it for appends. */
  private async setFocus(runDir: string | null): Promise<void> {
    if (this.focus === runDir && this.tail?.file === (runDir && join(runDir, 'metrics.jsonl'))) return;
    this.watch?.dispose();
    this.focus = runDir;
    this.rows = [];
    this.badLines = 0;
    this.metricsMessage = null;
    this.tail = runDir ? new MetricsReader(runDir) : undefined;
    if (!runDir) return;
    this.watch = this.env.watcher.watch(
      runDir,
      () => this.poll.push(),
      () => this.outlet?.sendSnapshot(),
    );
    await this.readMetrics(false);
  }

  /** Read new lines of the focused run (one read at a time); with `publish`, send them to the webview. */
  private readMetrics(publish: boolean): Promise<void> {
    this.reading = this.reading.then(() => this.readOnce(publish));
    return this.reading;
  }

  private async readOnce(publish: boolean): Promise<void> {
    const tail = this.tail;
    if (!tail || !this.focus) return;
    const runDir = this.focus;
    try {
      const chunk = await tail.readNew();
      if (tail !== this.tail) return; // focus moved while reading
      if (chunk.restarted) this.rows = [];
      this.rows.push(...chunk.records);
      this.badLines += chunk.skipped.length;
      this.metricsMessage =
        this.rows.length > 0
          ? null
          : 'No metrics yet: curves appear as soon as the run logs its first step to metrics.jsonl.';
      if (publish && (chunk.records.length > 0 || chunk.restarted)) {
        this.outlet?.notifyMetrics({ runDir, rows: chunk.records, reset: chunk.restarted, message: this.message() });
      }
    } catch (e) {
      this.metricsMessage = `Cannot read ${tail.file}: ${(e as Error).message}`;
    }
  }

  private message(): string | null {
    const bad =
      this.badLines > 0 ? `${this.badLines} line(s) of metrics.jsonl were not metrics and were skipped.` : null;
    return [this.metricsMessage, bad].filter(Boolean).join(' ') || null;
  }
}
