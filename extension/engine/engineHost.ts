// The engine as the extension sees it: one EngineProcess started on demand, only in a trusted workspace,
// with the interpreter found from settings and .venv folders: by default a connection to the per-user engine
// daemon (which that interpreter starts when none answers), with "wsss.engine.mode": "window" an engine of this
// window whose stderr goes to the "WSSS Engine" output channel.
import * as vscode from 'vscode';
import type { InitializeResult } from '../../protocol/engine';
import { readSettings } from '../settings';
import { daemonAnswers } from './daemonSession';
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
      if (!e.affectsConfiguration('wsss.pythonPath') && !e.affectsConfiguration('wsss.engine.mode')) return;
      if (this.engine.state !== 'ready') return;
      const action = await vscode.window.showInformationMessage(
        'The WSSS engine settings changed: restart the engine (reconnect, for the engine daemon) to use them?',
        'Restart Engine');
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

  /** A window coming back (reload, reopen) connects to the engine daemon when one runs, so it shows the
   *  daemon's runs with their live progress at once; it starts nothing otherwise. */
  async reattach(): Promise<void> {
    if (!this.allowed || readSettings().engineMode !== 'daemon' || this.engine.state !== 'stopped') return;
    try {
      if (await daemonAnswers(await this.resolveLaunch())) await this.engine.start();
    } catch (error) {
      this.output.appendLine(`[wsss] not reattached to the engine daemon: ${(error as Error).message}`);
    }
  }

  /** Stops the engine (politely, then by signal) and starts a new one; with the daemon: reconnects (the
   *  daemon and its runs go on; `wsss-engine daemon stop` ends it). */
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
    const daemon = settings.engineMode === 'daemon';
    this.output.appendLine(
      `[wsss] ${daemon ? 'connecting to the engine daemon' : 'starting the engine'}: ${python.pythonPath} ` +
        `(from ${python.source}; Python ${python.pythonVersion}, wsss_engine ${python.engineVersion})`,
    );
    return { pythonPath: python.pythonPath, env, cwd: workspaceFolders[0] ?? extensionPath, daemon };
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
