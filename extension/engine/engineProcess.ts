// EngineProcess owns the engine: start (spawn + handshake), typed requests, notifications as typed
// events, crash detection, restart, and dispose that kills the whole process tree within time limits.
// Each spawned process is an EngineSession (engineSession.ts); with `launch.daemon`, each connection to the
// per-user engine daemon is a DaemonSession (daemonSession.ts). No `vscode` import: unit-tested in plain Node.
import { Emitter, type CancellationToken, type Event } from 'vscode-jsonrpc/node';
import {
  ENGINE_PROTOCOL_VERSION,
  type EngineDevicesParams,
  type EngineMethod,
  type EngineNotifications,
  type EngineParams,
  type EngineResult,
  type InitializeResult,
  type RunFinishedParams,
  type RunProgressParams,
  type RunStartedParams,
} from '../../protocol/engine';
import { DaemonSession } from './daemonSession';
import type { ExperimentFinishedParams, ExperimentProgressParams } from '../../protocol/experiments';
import { EngineNotRunningError, EngineStartCancelledError, EngineStartError } from './engineErrors';
import { EngineSession, type EngineChannel, type EngineLaunch, type ShutdownLimits } from './engineSession';

export type { EngineLaunch } from './engineSession';

/** Where the engine is in its life. */
export type EngineState = 'stopped' | 'starting' | 'ready' | 'crashed';

/** A state change, with the handshake result when ready and the reason when crashed. */
export interface EngineStateChange {
  state: EngineState;
  info?: InitializeResult;
  error?: Error;
}

export interface EngineProcessOptions {
  /** How to launch; a function is called at every (re)start, so a fixed interpreter setting is picked up. */
  launch: EngineLaunch | (() => Promise<EngineLaunch>);
  clientName: string;
  clientVersion: string;
  handshakeTimeoutMs?: number;
  /** Default timeout of requests; each request may pass its own. */
  requestTimeoutMs?: number;
  shutdown?: Partial<ShutdownLimits>;
}

export class EngineProcess {
  private readonly stateEmitter = new Emitter<EngineStateChange>();
  private readonly startedEmitter = new Emitter<RunStartedParams>();
  private readonly progressEmitter = new Emitter<RunProgressParams>();
  private readonly finishedEmitter = new Emitter<RunFinishedParams>();
  private readonly stderrEmitter = new Emitter<string>();
  private readonly experimentProgressEmitter = new Emitter<ExperimentProgressParams>();
  private readonly experimentFinishedEmitter = new Emitter<ExperimentFinishedParams>();

  /** Fires on every state change (starting, ready, crashed, stopped). */
  readonly onDidChangeState: Event<EngineStateChange> = this.stateEmitter.event;
  /** `run/started` notifications: a run started here or, on the daemon, by any window or the CLI. */
  readonly onRunStarted: Event<RunStartedParams> = this.startedEmitter.event;
  /** `run/progress` notifications. */
  readonly onRunProgress: Event<RunProgressParams> = this.progressEmitter.event;
  /** `run/finished` notifications. */
  readonly onRunFinished: Event<RunFinishedParams> = this.finishedEmitter.event;
  /** `experiment/progress` notifications. */
  readonly onExperimentProgress: Event<ExperimentProgressParams> = this.experimentProgressEmitter.event;
  /** `experiment/finished` notifications. */
  readonly onExperimentFinished: Event<ExperimentFinishedParams> = this.experimentFinishedEmitter.event;
  /** Every line the engine writes to stderr: its log (the one channel for it), for the output channel. */
  readonly onStderrLine: Event<string> = this.stderrEmitter.event;

  private session: EngineChannel | undefined;
  private starting: Promise<InitializeResult> | undefined;
  private current: EngineStateChange = { state: 'stopped' };
  private earlyDevices: EngineDevicesParams | undefined;
  private readonly limits: ShutdownLimits;
  private disposed = false;
  /** Default timeout of requests (ms); settings changes update it. */
  requestTimeoutMs: number;

  constructor(private readonly options: EngineProcessOptions) {
    this.limits = { politeMs: 3000, terminateMs: 2000, ...options.shutdown };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  get state(): EngineState {
    return this.current.state;
  }

  /** The handshake result of the running engine (versions, devices). */
  get info(): InitializeResult | undefined {
    return this.current.state === 'ready' ? this.current.info : undefined;
  }

  /** Why the engine last crashed, while it is crashed. */
  get lastError(): Error | undefined {
    return this.current.error;
  }

  get pid(): number | undefined {
    return this.session?.pid;
  }

  /** True while connected to the engine daemon (shared by windows; its runs outlive this connection). */
  get shared(): boolean {
    return this.session?.shared ?? false;
  }

  /** Starts the engine and completes the handshake; returns at once when it is already ready. */
  start(token?: CancellationToken): Promise<InitializeResult> {
    if (this.disposed) return Promise.reject(new Error('The WSSS engine supervisor was disposed.'));
    if (this.current.state === 'ready' && this.current.info) return Promise.resolve(this.current.info);
    this.starting ??= this.spawnAndHandshake(token).finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Stops the engine politely, then kills its process group; then starts a new one. */
  async restart(token?: CancellationToken): Promise<InitializeResult> {
    await this.stop();
    return this.start(token);
  }

  /** Sends a typed request to the running engine; rejects on timeout, engine error, cancel or crash. */
  request<M extends EngineMethod>(
    method: M,
    params: EngineParams<M>,
    options: { timeoutMs?: number; token?: CancellationToken } = {},
  ): Promise<EngineResult<M>> {
    const session = this.session;
    if (!session || this.current.state !== 'ready') return Promise.reject(new EngineNotRunningError(method));
    return session.request(method, params, options.timeoutMs ?? this.requestTimeoutMs, options.token);
  }

  /** Polite shutdown, then SIGTERM, then SIGKILL of the whole process group, within the time limits. */
  async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) {
      await session.shutdown(this.limits);
      this.setState({ state: 'stopped' });
    } else if (this.current.state === 'crashed') {
      this.setState({ state: 'stopped' });
    }
  }

  /** Stops the engine (killing its process tree) and releases every listener. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.starting?.catch(() => undefined);
    await this.stop();
    for (const emitter of [
      this.stateEmitter, this.startedEmitter, this.progressEmitter,
      this.finishedEmitter, this.stderrEmitter,
      this.experimentProgressEmitter, this.experimentFinishedEmitter,
    ]) emitter.dispose();
  }

  private async spawnAndHandshake(token?: CancellationToken): Promise<InitializeResult> {
    this.setState({ state: 'starting' });
    this.earlyDevices = undefined;
    let session: EngineChannel | undefined;
    try {
      const launch = typeof this.options.launch === 'function' ? await this.options.launch() : this.options.launch;
      const notify = this.dispatch.bind(this) as ConstructorParameters<typeof EngineSession>[1];
      const onLine = (line: string) => this.stderrEmitter.fire(line);
      session = launch.daemon ? await DaemonSession.open(launch, notify, onLine) : new EngineSession(launch, notify, onLine);
      this.session = session;
      const handshake = session.request(
        'initialize',
        { clientName: this.options.clientName, clientVersion: this.options.clientVersion },
        this.options.handshakeTimeoutMs ?? 60_000,
        token,
      );
      const info = await (token ? Promise.race([handshake, cancelled(token)]) : handshake);
      if (info.protocolVersion !== ENGINE_PROTOCOL_VERSION) {
        throw new EngineStartError(
          launch.pythonPath,
          `the engine speaks protocol version ${info.protocolVersion} but this extension needs ` +
            `${ENGINE_PROTOCOL_VERSION}; the engine and the extension come from different versions` +
            (session.shared
              ? ` (the engine daemon pid ${session.pid ?? '?'} was started by another version: stop it with ` +
                `"${launch.pythonPath} -m wsss_engine daemon stop" once its runs have ended)`
              : ''),
        );
      }
      session.markRunning();
      this.watchForCrash(session);
      // (re-read: set by a notification while awaiting, which control-flow narrowing cannot see)
      const early = this.earlyDevices as EngineDevicesParams | undefined;
      const full: InitializeResult = early ? { ...info, ...early } : info;
      this.earlyDevices = undefined;
      this.setState({ state: 'ready', info: full });
      return full;
    } catch (error) {
      const stoppedMeanwhile = session !== undefined && this.session !== session;
      if (session) {
        if (this.session === session) this.session = undefined;
        await session.shutdown({ politeMs: 0, terminateMs: this.limits.terminateMs });
      }
      const reason = error instanceof Error ? error : new Error(String(error));
      this.setState(stoppedMeanwhile ? { state: 'stopped' } : { state: 'crashed', error: reason });
      throw reason;
    }
  }

  private watchForCrash(session: EngineChannel): void {
    void session.exited.then((exit) => {
      if (this.session !== session) return; // stopped on purpose
      this.session = undefined;
      session.killGroup('SIGKILL'); // orphaned helpers of the crashed engine
      const error = session.exitError(exit);
      this.setState({ state: 'crashed', error });
    });
  }

  private dispatch<N extends keyof EngineNotifications>(name: N, params: EngineNotifications[N]): void {
    switch (name) {
      case 'engine/devices': return this.updateDevices(params as EngineDevicesParams);
      case 'run/started': return this.startedEmitter.fire(params as RunStartedParams);
      case 'run/progress': return this.progressEmitter.fire(params as RunProgressParams);
      case 'run/finished': return this.finishedEmitter.fire(params as RunFinishedParams);
      case 'experiment/progress': return this.experimentProgressEmitter.fire(params as ExperimentProgressParams);
      case 'experiment/finished': return this.experimentFinishedEmitter.fire(params as ExperimentFinishedParams);
    }
  }

  /** The full device list once the engine has loaded torch (initialize answered with the CPU only). */
  private updateDevices(params: EngineDevicesParams): void {
    if (this.current.state === 'ready' && this.current.info) {
      this.setState({ state: 'ready', info: { ...this.current.info, ...params } });
    } else {
      this.earlyDevices = params; // arrived before the handshake finished here: applied when it does
    }
  }

  private setState(change: EngineStateChange): void {
    this.current = change;
    if (!this.disposed || change.state === 'stopped') this.stateEmitter.fire(change);
  }
}

/** Rejects when `token` is cancelled (starting honours cancellation without waiting for the engine). */
function cancelled(token: CancellationToken): Promise<never> {
  return new Promise<never>((_, reject) => {
    const fail = () => reject(new EngineStartCancelledError());
    if (token.isCancellationRequested) fail();
    else token.onCancellationRequested(fail);
  });
}
