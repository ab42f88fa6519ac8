/**
 * One side of a panel's message channel, used by both the host (extension/panels/panelRpc.ts) and the
 * webview (webview/shared/rpc.ts): numbered requests that time out and reject, responses matched by id,
 * notifications, and every pending request rejected with code 'disposed' when the channel goes away.
 */
import type {
  NotificationMessage,
  PanelMessage,
  RequestMessage,
  RpcErrorCode,
  RpcErrorData,
} from '../protocol/webview/common';

/** Default time a request may take before its promise rejects with code 'timeout'. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** True when a value received from the other side has the shape of a PanelMessage. */
export function isPanelMessage(value: unknown): value is PanelMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  switch (m.kind) {
    case 'request':
      return typeof m.id === 'number' && typeof m.method === 'string';
    case 'response':
      return typeof m.id === 'number' && ('result' in m || 'error' in m);
    case 'notification':
      return typeof m.method === 'string';
    default:
      return false;
  }
}

/** A request that failed: timed out, was dropped on dispose, or the other side answered with an error. */
export class RpcError extends Error implements RpcErrorData {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  /** The form that travels in a ResponseMessage. */
  toData(): RpcErrorData {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** What the endpoint calls for messages that are not answers to its own requests. */
export interface EndpointHandlers {
  /** Serve a request from the other side; the resolved value is the result, a throw becomes the error. */
  request(message: RequestMessage): Promise<unknown>;
  /** Receive a notification from the other side. */
  notification(message: NotificationMessage): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: RpcError): void;
  timer: ReturnType<typeof setTimeout>;
  method: string;
}

export class RpcEndpoint {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(
    private readonly send: (message: PanelMessage) => void,
    private readonly handlers: EndpointHandlers,
    private readonly defaultTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {}

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Number of requests still waiting for an answer (tests use it to check nothing leaks). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Send a request; rejects with RpcError 'timeout' after timeoutMs, 'disposed' if the channel closes. */
  request(method: string, params: unknown, timeoutMs = this.defaultTimeoutMs): Promise<unknown> {
    if (this.disposed) {
      return Promise.reject(new RpcError('disposed', `Cannot send '${method}': the panel is closed.`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RpcError(
            'timeout',
            `'${method}' got no answer within ${timeoutMs} ms.`,
            'The other side of the panel may be busy or gone; reopen the panel if this repeats.',
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      this.post({ kind: 'request', id, method, params });
    });
  }

  /** Send a one-way notification (dropped silently once disposed: nobody is listening). */
  notify(method: string, params: unknown): void {
    if (!this.disposed) this.post({ kind: 'notification', method, params });
  }

  /** Feed a message received from the other side; anything that is not a PanelMessage is ignored. */
  receive(raw: unknown): void {
    if (this.disposed || !isPanelMessage(raw)) return;
    switch (raw.kind) {
      case 'response':
        this.settle(raw.id, raw);
        return;
      case 'notification':
        this.handlers.notification(raw);
        return;
      case 'request':
        void this.serve(raw);
        return;
    }
  }

  /** Reject every pending request with code 'disposed' and stop sending. */
  dispose(reason = 'The panel was closed.'): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RpcError('disposed', `'${p.method}' was dropped: ${reason}`));
    }
    this.pending.clear();
  }

  private settle(id: number, response: PanelMessage & { kind: 'response' }): void {
    const p = this.pending.get(id);
    if (!p) return; // answered after its timeout: the caller has already been told
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in response) p.reject(new RpcError(response.error.code, response.error.message, response.error.hint));
    else p.resolve(response.result);
  }

  private async serve(request: RequestMessage): Promise<void> {
    let reply: PanelMessage;
    try {
      const result = await this.handlers.request(request);
      reply = { kind: 'response', id: request.id, result: result === undefined ? null : result };
    } catch (e) {
      const error = e instanceof RpcError ? e.toData() : { code: 'failed' as const, message: errorMessage(e) };
      reply = { kind: 'response', id: request.id, error };
    }
    if (!this.disposed) this.post(reply); // the panel may have closed while the handler ran
  }

  private post(message: PanelMessage): void {
    try {
      this.send(message);
    } catch (e) {
      // A webview that is being torn down throws on postMessage; treat it like a closed channel.
      this.dispose(`sending failed (${errorMessage(e)})`);
    }
  }
}

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
