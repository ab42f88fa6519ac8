// The "WSSS Runs" view: every run folder under the search roots (the runs directory, the workspace folders,
// wsss.runSearchFolders), read from run.json directly (no engine), with a status icon per run and per stage and
// the searched folders above the list; experiments (experiment.json) first, each with its runs; cluster runs with
// their SLURM state. Clicking a run opens its report. Refreshes when a run.json or experiment.json changes or a
// run or experiment starts or ends.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeJob, type ClusterJobs } from '../cluster/clusterJobs';
import type { ExperimentUnit } from '../../protocol/experiments';
import {
  insideExperiment,
  listExperimentFolders,
  readExperimentFolder,
  type ExperimentFolderInfo,
} from '../experiments/experimentFolder';
import { onDidChangeSettings } from '../settings';
import { workspaceRunRoots, workspaceRuns } from './runPicking';
import {
  readRunFolder,
  RUN_SEARCH_DEPTH,
  runLabels,
  runStartText,
  skippedOf,
  type RunFolderInfo,
  type RunRecord,
  type RunStageRecord,
} from './runFolder';

type Status = RunRecord['status'] | RunStageRecord['status'];

const ICONS: Record<Status, [string, string | undefined]> = {
  completed: ['pass', 'testing.iconPassed'],
  running: ['sync~spin', undefined],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  created: ['circle-outline', undefined],
  pending: ['circle-outline', 'disabledForeground'],
  unknown: ['question', 'problemsWarningIcon.foreground'],
};

function statusIcon(status: Status): vscode.ThemeIcon {
  const [id, color] = ICONS[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** A run folder in the tree; commands get it as their argument (runDir). */
export class RunItem extends vscode.TreeItem {
  constructor(
    readonly run: RunFolderInfo,
    activeInThisWindow: boolean,
    label = run.record.name,
    cluster?: ReturnType<ClusterJobs['statusOf']>,
  ) {
    super(label, vscode.TreeItemCollapsibleState.Collapsed);
    const r = run.record;
    this.id = `run:${run.dir}`;
    this.description = `${r.status}${r.synthetic ? ' · synthetic' : ''}${r.updated ? ` · ${r.updated.replace('T', ' ').slice(0, 16)}` : ''}`;
    const skipped = r.stages.reduce((n, s) => n + skippedOf(s).count, 0);
    if (skipped) this.description += ` · ${skipped} image${skipped > 1 ? 's' : ''} skipped`;
    this.command = { command: 'wsss.openReport', title: 'Open mIoU Report', arguments: [this] };
    this.iconPath = statusIcon(r.status);
    this.resourceUri = vscode.Uri.file(run.dir);
    const state = activeInThisWindow ? 'running' : r.status === 'completed' ? 'completed' : 'resumable';
    this.contextValue = `wsssRun.${state}`;
    const started = runStartText(r);
    const lines = [
      `**${r.name}** — ${r.status}${r.synthetic ? ' (synthetic data)' : ''}${started ? `, started ${started}` : ''}`,
      '',
      `\`${run.dir}\``,
    ];
    const mious = evaluatedMious(r.stages);
    if (mious) lines.push('', mious);
    if (skipped)
      lines.push('', `**${skipped} unreadable image(s) skipped** (skip_corrupt): see the stages for their ids.`);
    if (r.engineVersion) lines.push('', `engine ${r.engineVersion}`);
    if (r.error) {
      lines.push('', `**${r.error.kind}**: ${r.error.message ?? ''}`);
      if (r.error.hint) lines.push('', `*What to do:* ${r.error.hint}`);
    }
    if (r.status === 'running' && !activeInThisWindow) {
      lines.push(
        '',
        'run.json says running, but no engine in this window runs it (another window, the CLI, or a crash).',
      );
    }
    if (run.warnings.length) lines.push('', ...run.warnings.map((w) => `- ${w}`));
    if (cluster && !(cluster instanceof Error)) {
      // A cluster job: its SLURM state beside the run's; cancel / resubmit instead of the local stop / resume.
      this.description = `${this.description} · ${describeJob(cluster)}`;
      this.contextValue = `wsssRun.${r.status === 'completed' ? 'completed' : 'cluster'}.${cluster.active ? 'clusterActive' : 'clusterEnded'}`;
      lines.push('', `SLURM job ${cluster.job.id} (${cluster.job.worldSize} rank(s)): ${cluster.state}`);
    } else if (cluster instanceof Error) {
      lines.push('', `Cluster job state unknown: ${cluster.message}`);
    }
    this.tooltip = new vscode.MarkdownString(lines.join('\n'));
  }

  get runDir(): string {
    return this.run.dir;
  }
}

/** "mIoU: eval 0.359 · eval_rw 0.312": each evaluate stage's mIoU from run.json (METHOD §6), or null. */
function evaluatedMious(stages: readonly RunStageRecord[]): string | null {
  const parts = stages
    .filter((s) => s.type === 'evaluate' && typeof s.summary.miou === 'number')
    .map((s) => `${s.id} ${(s.summary.miou as number).toFixed(3)}`);
  return parts.length ? `mIoU: ${parts.join(' · ')}` : null;
}

/** An experiment folder; commands get it as their argument (experimentDir). */
export class ExperimentItem extends vscode.TreeItem {
  constructor(
    readonly experiment: ExperimentFolderInfo,
    activeInThisWindow: boolean,
  ) {
    super(experiment.state.name, vscode.TreeItemCollapsibleState.Collapsed);
    const { state, dir } = experiment;
    const done = state.units.filter((u) => u.status === 'completed').length;
    // "running" in experiment.json but no engine of this window runs it: stopped by a crash or another window
    const status = activeInThisWindow ? 'running' : state.status === 'running' ? 'cancelled' : state.status;
    this.id = `experiment:${dir}`;
    const shown = state.status === 'running' && !activeInThisWindow ? 'interrupted' : status;
    this.description = `experiment · ${shown} · ${done}/${state.units.length} runs`;
    this.iconPath = new vscode.ThemeIcon(
      'beaker',
      ICONS[status]?.[1] ? new vscode.ThemeColor(ICONS[status][1]) : undefined,
    );
    this.resourceUri = vscode.Uri.file(dir);
    this.contextValue = `wsssExperiment.${activeInThisWindow ? 'running' : status === 'completed' ? 'completed' : 'resumable'}`;
    const lines = [`**${state.name}** — experiment, ${status}`, '', `\`${dir}\``, '', state.description];
    if (state.error)
      lines.push('', `**${state.error.kind}** (${state.error.unit ?? ''}): ${state.error.message} ${state.error.hint}`);
    this.tooltip = new vscode.MarkdownString(lines.join('\n'));
  }

  get experimentDir(): string {
    return this.experiment.dir;
  }
}

/** A run of an experiment that has not started (no run.json yet). */
class PendingUnitItem extends vscode.TreeItem {
  constructor(dir: string, unit: ExperimentUnit) {
    super(unit.name, vscode.TreeItemCollapsibleState.None);
    this.id = `unit:${dir}:${unit.name}`;
    this.description = `${unit.kind} · ${unit.status} · ${unit.stages.join(', ')}`;
    this.iconPath = statusIcon(unit.status === 'running' ? 'running' : 'pending');
  }
}

class StageItem extends vscode.TreeItem {
  constructor(runDir: string, stage: RunStageRecord) {
    super(stage.id, vscode.TreeItemCollapsibleState.None);
    this.id = `stage:${runDir}:${stage.id}`;
    const skipped = skippedOf(stage);
    this.description = `${stage.type} · ${stage.status}${skipped.count ? ` · ${skipped.count} skipped` : ''}`;
    this.iconPath =
      skipped.count && stage.status === 'completed'
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
        : statusIcon(stage.status);
    const summary = Object.entries(stage.summary)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
      .map(([k, v]) => `${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`);
    const ids = skipped.ids.length
      ? [
          `skipped (unreadable, skip_corrupt): ${skipped.ids.slice(0, 30).join(', ')}${skipped.ids.length > 30 ? ' …' : ''}`,
        ]
      : [];
    this.tooltip = [`${stage.id} (${stage.type}): ${stage.status}`, ...ids, ...summary].join('\n');
  }
}

class MessageItem extends vscode.TreeItem {
  constructor(label: string, tooltip: string, icon: string, dir?: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.tooltip = tooltip;
    this.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor('problemsWarningIcon.foreground'));
    if (dir) this.resourceUri = vscode.Uri.file(dir);
  }
}

export class RunsTree implements vscode.TreeDataProvider<vscode.TreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private watchers: vscode.FileSystemWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private view: vscode.TreeView<vscode.TreeItem> | undefined;

  /** `isActive(runDir)`: whether a run is running in this window (its item gets the Stop action); likewise
   * `isExperimentActive(experimentDir)`; `cluster`: the SLURM state of runs submitted to a cluster (docs/CLUSTER.md). */
  constructor(
    private readonly isActive: (runDir: string) => boolean,
    private readonly isExperimentActive: (experimentDir: string) => boolean = () => false,
    private readonly cluster?: ClusterJobs,
  ) {
    this.watch();
    const rewatch = () => {
      this.watch();
      this.refresh();
    };
    this.disposables.push(onDidChangeSettings(rewatch), vscode.workspace.onDidChangeWorkspaceFolders(rewatch));
  }

  /** Re-reads the runs directory soon (events within 250 ms make one refresh; a steady stream still refreshes). */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, 250);
  }

  /** Shows this tree as the view `viewId` (the searched folders appear above its list). */
  createView(viewId: string): vscode.Disposable {
    this.view = vscode.window.createTreeView(viewId, { treeDataProvider: this });
    return this.view;
  }

  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  async getChildren(element?: vscode.TreeItem): Promise<vscode.TreeItem[]> {
    if (element instanceof RunItem) return element.run.record.stages.map((s) => new StageItem(element.runDir, s));
    if (element instanceof ExperimentItem) return this.experimentRuns(element.experimentDir);
    if (element) return [];
    if (this.view) this.view.message = searchedMessage(workspaceRunRoots());
    try {
      const [{ runs, unreadable }, experiments] = await Promise.all([
        workspaceRuns(),
        listExperimentFolders(workspaceRunRoots()),
      ]);
      const expDirs = experiments.map((e) => e.dir);
      const labels = runLabels(runs);
      void this.cluster?.track(runs.map((r) => r.dir));
      return [
        ...experiments.map((e) => new ExperimentItem(e, this.isExperimentActive(e.dir))),
        ...runs
          .filter((r) => !insideExperiment(r.dir, expDirs))
          .map((r) => new RunItem(r, this.isActive(r.dir), labels.get(r.dir), this.cluster?.statusOf(r.dir))),
        ...unreadable.map((u) => new MessageItem(path.basename(u.dir), u.error.message, 'warning', u.dir)),
      ];
    } catch (error) {
      return [new MessageItem('Cannot read the runs directory', (error as Error).message, 'error')];
    }
  }

  /** An experiment's runs in execution order: the started ones as run items (stages, Stop/Resume), the rest pending. */
  private async experimentRuns(dir: string): Promise<vscode.TreeItem[]> {
    const { state } = await readExperimentFolder(dir);
    return Promise.all(
      state.units.map(async (unit) => {
        const runDir = path.join(dir, unit.runDir);
        try {
          return new RunItem(await readRunFolder(runDir), this.isActive(runDir), unit.name);
        } catch {
          return new PendingUnitItem(dir, unit);
        }
      }),
    );
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private watch(): void {
    for (const w of this.watchers) w.dispose();
    const refresh = () => this.refresh();
    // Any run.json below a search root (the search itself stops at RUN_SEARCH_DEPTH).
    this.watchers = workspaceRunRoots().map((root) => {
      const watcher = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(root), '**/{run,experiment}.json'),
      );
      watcher.onDidCreate(refresh);
      watcher.onDidChange(refresh);
      watcher.onDidDelete(refresh);
      return watcher;
    });
  }
}

/** The line above the runs list: which folders were searched (home-relative where it shortens them). */
function searchedMessage(roots: readonly string[]): string {
  const home = os.homedir();
  const shown = roots.map((r) => (r.startsWith(home + path.sep) ? `~${r.slice(home.length)}` : r));
  return roots.length
    ? `Runs found up to ${RUN_SEARCH_DEPTH} levels below: ${shown.join(', ')}`
    : 'No folder to search: open a folder, or add one with "WSSS: Add Folder to Search for Runs".';
}
