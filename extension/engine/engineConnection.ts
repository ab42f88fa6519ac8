// The JSON-RPC connection to an engine over any pair of streams (a spawned engine's stdio, or the engine
// daemon's socket): typed requests with timeouts and cancellation, notifications forwarded to one sink, and
// every pending request rejected when the other side goes away. No `vscode` import.
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  EngineClientNotifications,
  EngineMethod,
  EngineNotifications,
  EngineParams,
  EngineResult,
} from '../../protocol/engine';
import { EngineRequestError, EngineTimeoutError } from './engineErrors';

/** Engine -> extension notifications the connection forwards, each to one handler. */
export type NotificationSink = <N extends keyof EngineNotifications>(name: N, params: EngineNotifications[N]) => void;

const ENGINE_TO_EXTENSION = [
  'engine/devices',
  'run/started',
  'run/progress',
  'run/finished',
  'experiment/progress',
  'experiment/finished',
] as const satisfies readonly (keyof EngineNotifications)[];

/** A typed request with a timeout and an optional cancellation token (what every engine channel offers). */
export type EngineRequester = <M extends EngineMethod>(
  method: M,
  params: EngineParams<M>,
  timeoutMs: number,
  token?: CancellationToken,
) => Promise<EngineResult<M>>;

export class EngineConnection {
  private readonly connection: MessageConnection;
  private readonly pending = new Set<(error: Error) => void>();
  /** Set once the other side is gone: the error every later request gets. */
  private goneError: (() => Error) | undefined;

  constructor(readable: NodeJS.ReadableStream, writable: NodeJS.WritableStream, notify: NotificationSink) {
    this.connection = createMessageConnection(new StreamMessageReader(readable), new StreamMessageWriter(writable));
    for (const name of ENGINE_TO_EXTENSION) {
      this.connection.onNotification(name, (params: EngineNotifications[typeof name]) => notify(name, params));
    }
    this.connection.listen();
  }

  /** Sends a request; rejects on timeout (after sending $/cancelRequest), engine error, cancellation or close. */
  request<M extends EngineMethod>(
    method: M,
    params: EngineParams<M>,
    timeoutMs: number,
    token?: CancellationToken,
  ): Promise<EngineResult<M>> {
    if (this.goneError) return Promise.reject(this.goneError());
    const source = new CancellationTokenSource();
    const forward = token?.onCancellationRequested(() => source.cancel());
    if (token?.isCancellationRequested) source.cancel();
    return new Promise<EngineResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        source.cancel();
        reject(new EngineTimeoutError(method, timeoutMs));
      }, timeoutMs);
      const onGone = (error: Error) => reject(error);
      this.pending.add(onGone);
      const done = () => {
        clearTimeout(timer);
        forward?.dispose();
        source.dispose();
        this.pending.delete(onGone);
      };
      this.connection.sendRequest(method, params, source.token).then(
        (result) => {
          done();
          resolve(result as EngineResult<M>);
        },
        (error: unknown) => {
          done();
          if (this.goneError) reject(this.goneError());
          else if (error instanceof ResponseError) reject(EngineRequestError.from(method, error));
          else reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Sends a notification (extension -> engine); resolves once written, at once if the other side has gone. */
  async notify<N extends keyof EngineClientNotifications>(name: N, params: EngineClientNotifications[N]): Promise<void> {
    if (!this.goneError) await this.connection.sendNotification(name, params);
  }

  /** The other side went away: reject what is pending (and everything later) with `error()`. */
  close(error: () => Error): void {
    if (this.goneError) return;
    this.goneError = error;
    const e = error();
    for (const reject of [...this.pending]) reject(e);
    this.pending.clear();
    this.connection.dispose();
  }
}
