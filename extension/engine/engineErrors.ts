// Typed errors of the engine process and its requests. Each says what failed, what the engine
// printed last, and what to do (docs/DESIGN.md, "Quality bars"). No `vscode` import.
import { ResponseError } from 'vscode-jsonrpc/node';
import { ENGINE_ERROR_CODES, type ConfigProblem, type EngineErrorInfo, type EngineErrorKind } from '../../protocol/engine';

/** The engine process could not be started at all (python missing, not executable). */
export class EngineStartError extends Error {
  override readonly name = 'EngineStartError';
  constructor(
    readonly pythonPath: string,
    readonly reason: string,
  ) {
    super(
      `Could not start the WSSS engine with ${pythonPath}: ${reason}. ` +
        'Run "WSSS: Set Up Engine" from the Command Palette (or scripts/setup-engine.sh in a checkout), ' +
        'or set "wsss.pythonPath" to a Python with the engine installed.',
    );
  }
}

/** Starting the engine was cancelled by the user (the half-started process is killed). */
export class EngineStartCancelledError extends Error {
  override readonly name = 'EngineStartCancelledError';
  constructor() {
    super('Starting the WSSS engine was cancelled.');
  }
}

/** When the engine process went away: while starting (handshake) or while serving requests. */
export type EngineExitPhase = 'handshake' | 'running';

/** The engine process exited without being asked to (crash, killed, exited during the handshake). */
export class EngineExitedError extends Error {
  override readonly name = 'EngineExitedError';
  constructor(
    readonly phase: EngineExitPhase,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    /** The last lines the engine wrote to stderr (a Python traceback, usually). */
    readonly stderrTail: readonly string[],
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const when = phase === 'handshake' ? 'while starting' : 'unexpectedly';
    const tail = stderrTail.length ? `\nLast engine output:\n${stderrTail.join('\n')}` : ' (it printed nothing on stderr)';
    super(`The WSSS engine ${how} ${when}.${tail}`);
  }
}

/** The engine did not answer a request (or the handshake) in time. */
export class EngineTimeoutError extends Error {
  override readonly name = 'EngineTimeoutError';
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(
      `The WSSS engine did not answer "${method}" within ${timeoutMs} ms. ` +
        'Raise "wsss.requestTimeoutMs" if the machine is slow, or restart the engine (WSSS: Restart Engine).',
    );
  }
}

/** The engine daemon (one engine per user, daemonSession.ts) could not be started or reached, or its connection
 *  closed. Says where its log is and how to do without it. */
export class EngineDaemonError extends Error {
  override readonly name = 'EngineDaemonError';
  constructor(
    readonly reason: string,
    readonly logFile: string | undefined,
  ) {
    super(
      `The WSSS engine daemon ${reason}.${logFile ? ` Its log: ${logFile}.` : ''} ` +
        'Runs started before keep their checkpoints (resume them). To use an engine of this window only, set ' +
        '"wsss.engine.mode" to "window".',
    );
  }
}

/** A request was made while no engine is running (never started, stopped, or crashed). */
export class EngineNotRunningError extends Error {
  override readonly name = 'EngineNotRunningError';
  constructor(readonly method: string) {
    super(`The WSSS engine is not running, so "${method}" was not sent. Start it with WSSS: Restart Engine.`);
  }
}

/** The engine answered a request with a JSON-RPC error (a typed engine error, or invalid params). */
export class EngineRequestError extends Error {
  override readonly name = 'EngineRequestError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    /** The engine's error kind (errors.py), or undefined for plain JSON-RPC errors like invalid params. */
    readonly kind: EngineErrorKind | undefined,
    readonly hint: string | undefined,
    readonly path: string | undefined,
    /** ConfigInvalid: every problem of the config (the same list config/validate answers). */
    readonly problems: ConfigProblem[] = [],
  ) {
    super(hint ? `${message} ${hint}` : message);
  }

  /** True when the request was cancelled ($/cancelRequest answered with -32800). */
  get cancelled(): boolean {
    return this.code === ENGINE_ERROR_CODES.Cancelled;
  }

  /** Maps vscode-jsonrpc's ResponseError (code, message, data = {kind, hint, path}) to this type. */
  static from(method: string, error: ResponseError<unknown>): EngineRequestError {
    const data = isErrorInfo(error.data) ? error.data : undefined;
    const knownKind = data && data.kind in ENGINE_ERROR_CODES ? data.kind : undefined;
    const errors = (error.data as { errors?: unknown } | undefined)?.errors;
    const problems = data?.kind === 'ConfigInvalid' && Array.isArray(errors) ? (errors as ConfigProblem[]) : [];
    return new EngineRequestError(method, error.code, error.message, knownKind, data?.hint, data?.path, problems);
  }
}

function isErrorInfo(value: unknown): value is Partial<EngineErrorInfo> & { kind: EngineErrorKind } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}
