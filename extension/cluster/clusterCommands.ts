// "Run on Cluster…", "Cancel Cluster Job" and "Resubmit Cluster Run" (docs/CLUSTER.md): the engine writes and
// submits the job script and answers SLURM's state; this file only asks and tells. The run folder is the
// contract: its progress shows in the runs tree (run.json) and the report (metrics.jsonl) like a local run's.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterOptions } from '../../protocol/engine';
import { EngineRequestError } from '../engine/engineErrors';
import type { EngineHost } from '../engine/engineHost';
import { runDirOf } from '../runs/runController';
import { runDirFor } from '../runs/runFolder';
import { showConfigProblems, showEngineError, showTrustRefusal } from '../runs/runMessages';
import { pickRunConfig, pickRunFolder } from '../runs/runPicking';
import { readSettings } from '../settings';
import { hasClusterJob, optionsFromSettings, type ClusterJobs } from './clusterJobs';

/** What wsss.runOnCluster accepts: nothing (pick), a config Uri, or {configPath, runDir?, options?} (tests). */
export type RunOnClusterArg =
  undefined | vscode.Uri | { configPath: string; runDir?: string; options?: ClusterOptions };

export function registerClusterCommands(context: vscode.ExtensionContext, host: EngineHost, jobs: ClusterJobs): void {
  const register = <A extends unknown[]>(id: string, run: (...args: A) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  register('wsss.runOnCluster', (arg?: RunOnClusterArg) => runOnCluster(host, jobs, arg));
  register('wsss.cancelClusterJob', (arg?: unknown) => cancelJob(host, jobs, arg));
  register('wsss.resubmitClusterRun', (arg?: unknown) => resubmit(host, jobs, arg));
}

async function runOnCluster(host: EngineHost, jobs: ClusterJobs, arg: RunOnClusterArg): Promise<string | undefined> {
  if (!host.allowed) return showTrustRefusal('submit a cluster job');
  const given = arg && !(arg instanceof vscode.Uri) ? arg : undefined;
  const configPath = arg instanceof vscode.Uri ? arg.fsPath : (given?.configPath ?? (await pickRunConfig()));
  if (!configPath) return undefined;
  const settings = readSettings();
  let options = given?.options ?? optionsFromSettings(settings.cluster);
  if (!given) {
    const nodes = await vscode.window.showInputBox({
      title: 'Run on Cluster: nodes × GPUs per node',
      prompt: 'e.g. "2x4" for 2 nodes with 4 GPUs each, "1x0" for one CPU node. Empty: the config / settings decide.',
      value: options.nodes || options.gpus_per_node ? `${options.nodes ?? 1}x${options.gpus_per_node ?? 0}` : '',
      validateInput: (v) => (v === '' || /^\d+x\d+$/.test(v.trim()) ? undefined : 'nodes x GPUs, e.g. 2x4'),
    });
    if (nodes === undefined) return undefined;
    const m = /^(\d+)x(\d+)$/.exec(nodes.trim());
    if (m) options = { ...options, nodes: Number(m[1]), gpus_per_node: Number(m[2]) };
  }
  const runDir = given?.runDir ?? runDirFor(configPath, settings.runsDirectory ?? path.dirname(configPath));
  try {
    await host.ensureReady('submit a cluster job');
    const { job } = await host.engine.request('cluster/submit', { configPath, runDir, options });
    host.output.appendLine(`[wsss] submitted job ${job.id} for ${runDir} (${job.worldSize} rank(s)): ${job.script}`);
    void vscode.window.showInformationMessage(
      `Submitted SLURM job ${job.id} (${job.worldSize} rank(s)); the run is in ${runDir}.`,
    );
    await jobs.refresh([runDir]);
    return job.id;
  } catch (error) {
    if (error instanceof EngineRequestError && error.kind === 'ConfigInvalid' && error.problems.length) {
      showConfigProblems(configPath, error.problems);
      return undefined;
    }
    showEngineError('Could not submit the cluster job', error, host);
    return undefined;
  }
}

async function cancelJob(host: EngineHost, jobs: ClusterJobs, arg: unknown): Promise<void> {
  if (!host.allowed) return showTrustRefusal('cancel a cluster job');
  const runDir =
    runDirOf(arg) ?? (await pickRunFolder('Cancel the cluster job of which run?', (r) => active(jobs, r.dir)));
  if (!runDir) return;
  try {
    await host.ensureReady('cancel a cluster job');
    const done = await host.engine.request('cluster/cancel', { runDir });
    const what = done.how === 'stop request' ? 'asked to stop (it saves a checkpoint first)' : 'removed from the queue';
    void vscode.window.showInformationMessage(`SLURM job ${done.job.id} ${what}.`);
    await jobs.refresh([runDir]);
  } catch (error) {
    showEngineError('Could not cancel the cluster job', error, host);
  }
}

async function resubmit(host: EngineHost, jobs: ClusterJobs, arg: unknown): Promise<void> {
  if (!host.allowed) return showTrustRefusal('resubmit a cluster run');
  const runDir =
    runDirOf(arg) ??
    (await pickRunFolder(
      'Resubmit which cluster run?',
      (r) => hasClusterJob(r.dir) && r.record.status !== 'completed' && !active(jobs, r.dir),
    ));
  if (!runDir) return;
  try {
    await host.ensureReady('resubmit a cluster run');
    const options = optionsFromSettings(readSettings().cluster);
    const { job } = await host.engine.request('cluster/submit', { runDir, resume: true, options });
    void vscode.window.showInformationMessage(`Resubmitted as SLURM job ${job.id}: it resumes the run.`);
    await jobs.refresh([runDir]);
  } catch (error) {
    showEngineError('Could not resubmit the cluster run', error, host);
  }
}

function active(jobs: ClusterJobs, runDir: string): boolean {
  const s = jobs.statusOf(runDir);
  return !!s && !(s instanceof Error) && s.active;
}
