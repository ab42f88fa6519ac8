// One spawned engine process and its JSON-RPC connection, from spawn to exit: handshake, typed requests
// with timeouts and cancellation, pending requests rejected when the process goes away, polite shutdown
// then SIGTERM then SIGKILL of the process group. EngineProcess (engineProcess.ts) supervises sessions.
// No `vscode` import, so plain-Node tests drive it against the real engine.
import type { ChildProcess } from 'node:child_process';
import type { EngineClientNotifications } from '../../protocol/engine';
import { EngineConnection, type EngineRequester, type NotificationSink } from './engineConnection';
import { EngineExitedError, EngineStartError, type EngineExitPhase } from './engineErrors';
import { groupAlive, settlesWithin, signalGroup, spawnGroupLeader } from './processTree';
import { StderrTail } from './stderrTail';

/** How to launch the engine: `<pythonPath> -m wsss_engine serve` unless `args` says otherwise; with `daemon`,
 *  connect to the per-user engine daemon instead, started with this interpreter if none answers
 *  (daemonSession.ts). */
export interface EngineLaunch {
  pythonPath: string;
  daemon?: boolean;
  args?: readonly string[];
  cwd?: string;
  /** Environment of the engine; the extension host's own when absent. */
  env?: NodeJS.ProcessEnv;
}

/** Time limits (ms) of the shutdown sequence: polite shutdown, then SIGTERM, then SIGKILL. */
export interface ShutdownLimits {
  politeMs: number;
  terminateMs: number;
  /** How long the polite shutdown may take while the engine reports runs (`run/list`): the engine cancels
   *  them and each saves a resumable checkpoint before it answers `shutdown`. Default SAVING_LIMIT_MS. */
  savingMs?: number;
}

/** Waiting for cancelled runs to save: a ResNet-50 + SGD-momentum checkpoint (189 MB) took 0.9-1.1 s to
 *  write and fsync on the development machine; the run first finishes its current step (< 1 s on a GPU).
 *  30 s leaves a wide margin for slow disks and CPU steps, yet bounds closing VS Code. */
export const SAVING_LIMIT_MS = 30_000;

/** How the process ended. */
export interface SessionExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

export type { NotificationSink } from './engineConnection';

/** What EngineProcess supervises: a spawned engine (EngineSession) or a connection to the daemon (DaemonSession). */
export interface EngineChannel {
  readonly pid: number | undefined;
  /** Settles once, when the engine (or the connection to it) is gone. */
  readonly exited: Promise<SessionExit>;
  /** True when the engine is shared by windows and outlives this connection (the daemon). */
  readonly shared: boolean;
  request: EngineRequester;
  exitError(exit: SessionExit): Error;
  markRunning(): void;
  /** Ends this window's use of the engine: a spawned engine stops; the daemon goes on. */
  shutdown(limits: ShutdownLimits): Promise<void>;
  killGroup(signal: NodeJS.Signals): void;
}

export class EngineSession implements EngineChannel {
  readonly shared = false;
  readonly child: ChildProcess;
  /** Settles once, when the process has exited (or failed to spawn) and its stderr is drained. */
  readonly exited: Promise<SessionExit>;
  readonly stderr = new StderrTail(20);
  private readonly connection: EngineConnection;
  private phase: EngineExitPhase = 'handshake';
  private exit: SessionExit | undefined;

  constructor(
    readonly launch: EngineLaunch,
    notify: NotificationSink,
    onStderrLine: (line: string) => void,
  ) {
    const args = launch.args ?? ['-m', 'wsss_engine', 'serve'];
    this.child = spawnGroupLeader(launch.pythonPath, args, { cwd: launch.cwd, env: launch.env });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => this.stderr.push(chunk, onStderrLine));
    this.child.stdin!.on('error', (error) => onStderrLine(`[wsss] writing to the engine failed: ${error.message}`));
    this.exited = new Promise<SessionExit>((resolve) => {
      const finish = (exit: SessionExit) => {
        if (this.exit) return;
        this.exit = exit;
        this.stderr.flush(onStderrLine);
        this.connection.close(() => this.exitError(exit));
        resolve(exit);
      };
      this.child.once('error', (spawnError) => {
        if (this.child.pid === undefined) finish({ code: null, signal: null, spawnError });
      });
      this.child.once('exit', (code, signal) => {
        // 'close' comes after stdio is drained (the traceback's last lines); don't wait on grandchildren forever.
        const drained = new Promise<void>((r) => this.child.once('close', () => r()));
        void settlesWithin(drained, 500).then(() => finish({ code, signal }));
      });
    });
    this.connection = new EngineConnection(this.child.stdout!, this.child.stdin!, notify);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** The error a caller sees when this process went away (or never started). */
  exitError(exit: SessionExit): Error {
    if (exit.spawnError) return new EngineStartError(this.launch.pythonPath, exit.spawnError.message);
    return new EngineExitedError(this.phase, exit.code, exit.signal, this.stderr.lines());
  }

  /** Marks the handshake as done: later exits are reported as crashes while running. */
  markRunning(): void {
    this.phase = 'running';
  }

  /** Sends a request; rejects on timeout (after sending $/cancelRequest), engine error, cancellation or exit. */
  readonly request: EngineRequester = (method, params, timeoutMs, token) =>
    this.exit ? Promise.reject(this.exitError(this.exit)) : this.connection.request(method, params, timeoutMs, token);

  /** Sends a notification (extension -> engine); resolves once written, at once if the process has gone. */
  async notify<N extends keyof EngineClientNotifications>(name: N, params: EngineClientNotifications[N]): Promise<void> {
    if (!this.exit) await this.connection.notify(name, params);
  }

  /** Polite shutdown (shutdown request, exit notification, stdin EOF), then SIGTERM, then SIGKILL of the group.
   *  While the engine has runs, the polite step may take up to `savingMs`: the engine answers `shutdown` once
   *  its runs are cancelled and their checkpoints saved, so closing VS Code leaves them resumable. */
  async shutdown(limits: ShutdownLimits): Promise<void> {
    if (!this.exit) {
      try {
        const saving = limits.politeMs > 0 && (await this.hasActiveRuns(limits.politeMs));
        const politeMs = saving ? Math.max(limits.politeMs, limits.savingMs ?? SAVING_LIMIT_MS) : limits.politeMs;
        await this.request('shutdown', {}, politeMs);
        await this.notify('exit', {});
      } catch {
        // Not answering shutdown is exactly what the signals below are for.
      }
      this.child.stdin?.end();
      if (!(await settlesWithin(this.exited, limits.politeMs))) this.killGroup('SIGTERM');
      if (!(await settlesWithin(this.exited, limits.terminateMs))) this.killGroup('SIGKILL');
      await settlesWithin(this.exited, limits.terminateMs);
    }
    // Helpers the engine started may outlive it; the group must not.
    const pid = this.child.pid;
    if (pid !== undefined && groupAlive(pid)) {
      this.killGroup('SIGTERM');
      await new Promise((r) => setTimeout(r, Math.min(limits.terminateMs, 500)));
      if (groupAlive(pid)) this.killGroup('SIGKILL');
    }
  }

  /** True when the engine reports a run that has not ended (it will save a checkpoint when cancelled). */
  private async hasActiveRuns(timeoutMs: number): Promise<boolean> {
    try {
      const { runs } = await this.request('run/list', {}, timeoutMs);
      return runs.some((r) => r.status === 'running' || r.status === 'created');
    } catch {
      return false; // an engine that cannot answer gets the short limits
    }
  }

  /** Signals the whole process group (no-op if it is gone already). */
  killGroup(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) signalGroup(this.child.pid, signal);
  }
}
