// What the extension hands to the parts it wires together (panels, language features): one object,
// built once in activate(). Panels see it through their own structural PanelServices type.
import type * as vscode from 'vscode';
import type { EngineProcess } from './engine/engineProcess';
import type { EngineHost } from './engine/engineHost';
import type { ExperimentController } from './experiments/experimentController';
import type { RunController } from './runs/runController';
import type { RunsTree } from './runs/runsTree';

export interface ExtensionServices {
  /** The "WSSS Engine" output channel (engine stderr and extension notes). */
  output: vscode.OutputChannel;
  /** The engine supervisor: `engine` for events and state, `ensureReady()` before requests. */
  engineHost: EngineHost;
  /** The EngineProcess itself (typed requests, run/* notifications, state changes); may be stopped. */
  engine: EngineProcess;
  /** The running engine, started on demand; rejects in an untrusted workspace (nothing is spawned). */
  ensureEngine(action?: string, token?: vscode.CancellationToken): Promise<EngineProcess>;
  /** Runs started in this window; onDidChangeRuns fires on start and end. */
  runs: RunController;
  /** The WSSS Runs view; refresh() re-reads the runs directory. */
  runsTree: RunsTree;
  /** Experiments started in this window (wsss.startExperiment / stop / resume). */
  experiments: ExperimentController;
}
