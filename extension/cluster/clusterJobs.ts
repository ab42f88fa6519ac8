// Runs on a SLURM cluster, seen from the extension (docs/CLUSTER.md): the job options the settings give, and
// the job state of every run folder that has a cluster job, polled through the engine's `cluster/status`
// while a job is queued or running. No vscode import: the unit tests drive it with the real engine and a
// real SLURM. Progress and metrics come from the run folder itself (the runs tree and the report read it).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ClusterOptions, ClusterStatusParams, ClusterStatusResult } from '../../protocol/engine';

/** The `wsss.cluster.*` settings; empty strings and zeros mean "the run config's `cluster` block decides". */
export interface ClusterSettings {
  nodes: number;
  gpusPerNode: number;
  time: string;
  partition: string;
  account: string;
  sshHost: string;
  python: string;
  pollSeconds: number;
}

/** Options for `cluster/submit` from the settings: only what is set, so the config's `cluster` block fills the rest. */
export function optionsFromSettings(s: ClusterSettings): ClusterOptions {
  const out: ClusterOptions = {};
  if (s.nodes > 0) out.nodes = s.nodes;
  if (s.gpusPerNode > 0) out.gpus_per_node = s.gpusPerNode;
  if (s.time) out.time = s.time;
  if (s.partition) out.partition = s.partition;
  if (s.account) out.account = s.account;
  if (s.sshHost) out.ssh_host = s.sshHost;
  if (s.python) out.python = s.python;
  return out;
}

/** Whether a run folder has been submitted to a cluster (the engine's <run>/cluster/jobs.json exists). */
export function hasClusterJob(runDir: string): boolean {
  return existsSync(path.join(runDir, 'cluster', 'jobs.json'));
}

type Request = (method: 'cluster/status', params: ClusterStatusParams) => Promise<ClusterStatusResult>;

/** A short line for the runs tree: "SLURM RUNNING · job 12", "SLURM PENDING (Priority) · job 13". */
export function describeJob(s: ClusterStatusResult): string {
  return `SLURM ${s.state}${s.reason ? ` (${s.reason})` : ''} · job ${s.job.id}`;
}

/** The last known job state per run folder; polls the active ones every `pollSeconds`. */
export class ClusterJobs {
  private readonly known = new Map<string, ClusterStatusResult | Error>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly request: Request,
    private readonly pollSeconds: () => number,
  ) {}

  /** What the last poll said about this run folder's job (undefined: not asked yet, or no job). */
  statusOf(runDir: string): ClusterStatusResult | Error | undefined {
    return this.known.get(path.resolve(runDir));
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Ask now for these run folders (those with a cluster job), then keep polling the active ones. */
  async refresh(runDirs: readonly string[]): Promise<void> {
    const dirs = runDirs.map((d) => path.resolve(d)).filter(hasClusterJob);
    if ((await Promise.all(dirs.map((d) => this.ask(d)))).some(Boolean)) this.emit();
    this.schedule();
  }

  /** Ask only for the run folders not asked about yet (the runs tree calls this on every render). */
  track(runDirs: readonly string[]): Promise<void> {
    return this.refresh(runDirs.filter((d) => !this.known.has(path.resolve(d))));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Asks the engine; true when the answer differs from what was known. */
  private async ask(runDir: string): Promise<boolean> {
    const before = this.known.get(runDir);
    let now: ClusterStatusResult | Error;
    try {
      now = await this.request('cluster/status', { runDir });
    } catch (error) {
      now = error instanceof Error ? error : new Error(String(error));
    }
    this.known.set(runDir, now);
    return fingerprint(before) !== fingerprint(now);
  }

  private active(): string[] {
    return [...this.known].filter(([, s]) => !(s instanceof Error) && s.active).map(([d]) => d);
  }

  private schedule(): void {
    if (this.timer || this.polling || this.active().length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.polling = true;
        void Promise.all(this.active().map((d) => this.ask(d))).then((changed) => {
          this.polling = false;
          if (changed.some(Boolean)) this.emit();
          this.schedule();
        });
      },
      Math.max(1, this.pollSeconds()) * 1000,
    );
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function fingerprint(s: ClusterStatusResult | Error | undefined): string {
  if (s === undefined) return '';
  if (s instanceof Error) return `error:${s.message}`;
  return `${s.job.id}:${s.state}:${s.reason}:${s.runStatus}`;
}
