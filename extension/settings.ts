// The extension's settings (package.json "contributes.configuration"), read in one place with their defaults.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterSettings } from './cluster/clusterJobs';

/** Every WSSS setting, typed. */
export interface WsssSettings {
  /** "wsss.pythonPath": the engine's interpreter ("" = discover). Ignored in untrusted workspaces. */
  pythonPath: string;
  /** "wsss.runsDirectory", resolved to an absolute path (undefined with no workspace folder and a relative value). */
  runsDirectory: string | undefined;
  /** "wsss.runSearchFolders", each resolved like runsDirectory: more folders whose runs every view lists. */
  runSearchFolders: string[];
  /** "wsss.requestTimeoutMs". */
  requestTimeoutMs: number;
  /** "wsss.cluster.*": defaults of "Run on Cluster…" (docs/CLUSTER.md). */
  cluster: ClusterSettings;
  /** "wsss.engine.mode": the per-user engine daemon (default) or an engine of this window only. */
  engineMode: 'daemon' | 'window';
}

export function readSettings(): WsssSettings {
  const config = vscode.workspace.getConfiguration('wsss');
  const runs = config.get<string>('runsDirectory', 'runs') || 'runs';
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const extra = config.get<unknown>('runSearchFolders', []);
  return {
    runSearchFolders: (Array.isArray(extra) ? extra : [])
      .filter((f): f is string => typeof f === 'string' && f.trim() !== '')
      .flatMap((f) => (path.isAbsolute(f) ? [f] : folder ? [path.join(folder, f)] : [])),
    pythonPath: vscode.workspace.isTrusted ? config.get<string>('pythonPath', '') : '',
    runsDirectory: path.isAbsolute(runs) ? runs : folder ? path.join(folder, runs) : undefined,
    requestTimeoutMs: Math.max(1000, config.get<number>('requestTimeoutMs', 30_000)),
    cluster: {
      nodes: config.get<number>('cluster.nodes', 0),
      gpusPerNode: config.get<number>('cluster.gpusPerNode', 0),
      time: config.get<string>('cluster.time', ''),
      partition: config.get<string>('cluster.partition', ''),
      account: config.get<string>('cluster.account', ''),
      sshHost: vscode.workspace.isTrusted ? config.get<string>('cluster.sshHost', '') : '',
      python: vscode.workspace.isTrusted ? config.get<string>('cluster.python', '') : '',
      pollSeconds: Math.max(2, config.get<number>('cluster.pollSeconds', 15)),
    },
    engineMode: config.get<string>('engine.mode', 'daemon') === 'window' ? 'window' : 'daemon',
  };
}

/** Fires `listener` when any WSSS setting changes. */
export function onDidChangeSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('wsss')) listener();
  });
}
