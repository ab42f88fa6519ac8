// The engine as the extension sees it: one EngineProcess started on demand, only in a trusted workspace,
// with the interpreter found from settings and .venv folders, its stderr in the "WSSS Engine" output channel.
import * as vscode from 'vscode';
import type { InitializeResult } from '../../protocol/engine';
import { readSettings } from '../settings';
import { EngineProcess } from './engineProcess';
import { engineEnvironment, findEnginePython, type EnginePython } from './interpreter';

/** The workspace is not trusted, so the engine is not started (it would run code the workspace names). */
export class WorkspaceNotTrustedError extends Error {
  override readonly name = 'WorkspaceNotTrustedError';
  constructor(action: string) {
    super(
      `WSSS Studio cannot ${action} in an untrusted workspace: that needs the Python engine, which runs ` +
        'code and reads files that this workspace names. Trust the workspace to use it; run folders stay viewable.',
    );
  }
}

export class EngineHost {
  readonly engine: EngineProcess;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.OutputChannel,
  ) {
    const version = String(context.extension.packageJSON.version ?? '0');
    this.engine = new EngineProcess({
      launch: () => this.resolveLaunch(),
      clientName: 'wsss-studio',
      clientVersion: version,
      handshakeTimeoutMs: 120_000, // importing torch on a slow disk takes a while
      requestTimeoutMs: readSettings().requestTimeoutMs,
      // VS Code gives deactivate() a few seconds: polite 2 s, SIGTERM 1 s, then SIGKILL.
      shutdown: { politeMs: 2000, terminateMs: 1000 },
    });
    this.engine.onStderrLine((line) => output.appendLine(line));
    this.engine.onDidChangeState((change) => {
      if (change.state === 'ready' && change.info) output.appendLine(`[wsss] engine ready: ${describeEngine(change.info)}`);
      if (change.state === 'crashed' && change.error) output.appendLine(`[wsss] ${change.error.message}`);
    });
  }

  /** Offers a restart when "wsss.pythonPath" changes under a running engine. */
  watchSettings(): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration(async (e) => {
      this.engine.requestTimeoutMs = readSettings().requestTimeoutMs;
      if (!e.affectsConfiguration('wsss.pythonPath') || this.engine.state !== 'ready') return;
      const action = await vscode.window.showInformationMessage(
        '"wsss.pythonPath" changed: restart the WSSS engine to use the new interpreter?', 'Restart Engine');
      if (action) await vscode.commands.executeCommand('wsss.restartEngine');
    });
  }

  /** True when the engine may be started here. */
  get allowed(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The running engine, started first if needed; rejects in an untrusted workspace (nothing is spawned). */
  async ensureReady(action = 'start the engine', token?: vscode.CancellationToken): Promise<EngineProcess> {
    if (!this.allowed) throw new WorkspaceNotTrustedError(action);
    await this.engine.start(token);
    return this.engine;
  }

  /** Stops the engine (politely, then by signal) and starts a new one. */
  async restart(): Promise<InitializeResult> {
    if (!this.allowed) throw new WorkspaceNotTrustedError('restart the engine');
    this.output.appendLine('[wsss] restarting the engine');
    return this.engine.restart();
  }

  showLog(): void {
    this.output.show(true);
  }

  /** Stops the engine and kills its process tree (awaited by deactivate). */
  dispose(): Promise<void> {
    return this.engine.dispose();
  }

  /** The engine's Python, found as the engine itself is started (also runs TensorBoard). */
  enginePython(): Promise<EnginePython> {
    const settings = readSettings();
    const extensionPath = this.context.extensionUri.fsPath;
    const env = engineEnvironment(extensionPath);
    const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return findEnginePython({ setting: settings.pythonPath, workspaceFolders, extensionPath, env });
  }

  private async resolveLaunch() {
    const settings = readSettings();
    this.engine.requestTimeoutMs = settings.requestTimeoutMs;
    const extensionPath = this.context.extensionUri.fsPath;
    const env = engineEnvironment(extensionPath);
    const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const python = await this.enginePython();
    this.output.appendLine(
      `[wsss] starting the engine: ${python.pythonPath} (from ${python.source}; Python ${python.pythonVersion}, ` +
        `wsss_engine ${python.engineVersion})`,
    );
    return { pythonPath: python.pythonPath, env, cwd: workspaceFolders[0] ?? extensionPath };
  }
}

/** "engine 0.1.0, torch 2.x, cuda:0 (NVIDIA ...)" for logs and tooltips. */
export function describeEngine(info: InitializeResult): string {
  const devices = info.devices.map((d) => (d.kind === 'cpu' ? 'cpu' : `${d.id} (${d.name})`)).join(', ');
  return `engine ${info.engineVersion}, Python ${info.pythonVersion}, torch ${info.torchVersion}, devices: ${devices}`;
}

/** The device a run would use by default: the first accelerator, else the CPU. */
export function primaryDevice(info: InitializeResult): string {
  return (info.devices.find((d) => d.kind !== 'cpu') ?? info.devices[0])?.id ?? 'cpu';
}
