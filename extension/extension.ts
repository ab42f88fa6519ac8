// Activation: wires the engine supervisor, status bar, run controller, runs view, commands and panels.
// In an untrusted workspace everything that only reads run folders works; nothing spawns the engine.
import * as vscode from 'vscode';
import { ClusterJobs } from './cluster/clusterJobs';
import { registerClusterCommands } from './cluster/clusterCommands';
import { registerCommands } from './commands';
import { EngineHost } from './engine/engineHost';
import { EngineStatus } from './engine/engineStatus';
import { ExperimentController } from './experiments/experimentController';
import { registerPanels } from './panels/index';
import { registerCamPreviews } from './preview/index';
import { RunController } from './runs/runController';
import { RunsTree } from './runs/runsTree';
import { readSettings } from './settings';
import type { ExtensionServices } from './services';

let engineHost: EngineHost | undefined;

export function activate(context: vscode.ExtensionContext): ExtensionServices {
  const output = vscode.window.createOutputChannel('WSSS Engine');
  const host = new EngineHost(context, output);
  engineHost = host;
  const status = new EngineStatus(host);
  const runs = new RunController(host, status);
  const clusterJobs = new ClusterJobs(
    async (method, params) => {
      if (!host.allowed) throw new Error('this workspace is not trusted: the engine (which asks SLURM) does not start');
      await host.ensureReady('ask SLURM for a job state');
      return host.engine.request(method, params);
    },
    () => readSettings().cluster.pollSeconds,
  );
  const experiments = new ExperimentController(host, status);
  const runsTree = new RunsTree(
    (runDir) => runs.activeRuns.some((r) => r.runDir === runDir),
    (dir) => experiments.isActive(dir),
    clusterJobs,
  );
  context.subscriptions.push(
    output,
    status,
    runs,
    experiments,
    runsTree,
    runsTree.createView('wsss.runs'),
    host.watchSettings(),
    runs.onDidChangeRuns(() => runsTree.refresh()),
    clusterJobs,
    clusterJobs.onDidChange(() => runsTree.refresh()),
    experiments.onDidChange(() => runsTree.refresh()),
  );
  void vscode.commands.executeCommand('setContext', 'wsss.runActive', false);
  registerCommands(context, host, runs, runsTree, experiments);
  registerClusterCommands(context, host, clusterJobs);
  void host.reattach(); // the engine daemon's runs (this window's before a reload, others', the CLI's)

  const services: ExtensionServices = {
    output,
    engineHost: host,
    engine: host.engine,
    ensureEngine: (action, token) => host.ensureReady(action, token),
    runs,
    runsTree,
    experiments,
  };
  registerPanels(context, services, registerCamPreviews(context, output));
  return services;
}

/** Stops the engine politely, then kills its process tree (VS Code waits for the returned promise). */
export function deactivate(): Promise<void> | undefined {
  const host = engineHost;
  engineHost = undefined;
  return host?.dispose();
}
