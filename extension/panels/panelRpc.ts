/**
 * The host side of a panel's channel. Free of `vscode` imports so webview tests run the real handler
 * logic in Node against a real browser (test/webview/harness). A panel supplies a PanelHandler with one
 * `switch (request.method)`; PanelRpc does the handshake, serves requests, throttles streamed updates
 * (~1 Hz) and drops everything pending when the panel closes.
 */
import {
  READY_METHOD,
  SNAPSHOT_METHOD,
  type NotificationUnion,
  type PanelContract,
  type ReadyParams,
  type RequestUnion,
} from '../../protocol/webview/common';
import { RpcEndpoint, RpcError, errorMessage } from '../../common/rpcEndpoint';

export { RpcError };

/** The part of vscode.Webview the channel needs (a real Webview satisfies it structurally). */
export interface WebviewPort {
  postMessage(message: unknown): PromiseLike<boolean> | boolean | void;
  onDidReceiveMessage(listener: (message: unknown) => void): { dispose(): unknown };
}

/** Set when the panel closes while a request is being served; long handlers check it between steps. */
export interface PanelCancellation {
  readonly cancelled: boolean;
}

/** A panel's host logic. */
export interface PanelHandler<C extends PanelContract> {
  /** The full state for the webview; `restored` is what the webview had saved (null on a fresh panel). */
  snapshot(restored: C['state'] | null): Promise<C['snapshot']>;
  /** Serve one request: `switch (request.method) { case ...: return ... }`; throw RpcError for bad input. */
  handleRequest(request: RequestUnion<C['requests']>, cancellation: PanelCancellation): Promise<unknown>;
  /** Optional: notifications from the webview. */
  handleNotification?(notification: NotificationUnion<C['toHost']>): void;
  /** Optional: release files, timers, caches when the panel closes. */
  dispose?(): void;
}

/** Send the latest value at most once per interval: the first at once, the last one always (trailing). */
export class Throttled<P> {
  private latest: { value: P } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent = -Infinity;

  constructor(
    private readonly send: (value: P) => void,
    private readonly intervalMs = 1000,
  ) {}

  push(value: P): void {
    this.latest = { value };
    if (this.timer) return;
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Send the pending value now (e.g. the final progress update). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.latest) return;
    const { value } = this.latest;
    this.latest = undefined;
    this.lastSent = Date.now();
    this.send(value);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
  }
}

export class PanelRpc<C extends PanelContract> {
  private readonly endpoint: RpcEndpoint;
  private readonly subscription: { dispose(): unknown };
  private readonly streams = new Set<{ dispose(): void }>();
  private readonly cancellation = { cancelled: false };
  private disposed = false;
  /** Counters for diagnostics (the `wsss.panels.status` command; integration tests read them). */
  readonly stats = { snapshots: 0, requests: 0, failedRequests: 0 };
  /** The last snapshot sent (`wsss.panels.status` returns it when asked: integration tests check what a panel shows). */
  lastSnapshot: unknown = null;
  /** Resolves once the webview has said ready and received its first snapshot. */
  readonly firstSnapshot: Promise<void>;
  private markSnapshot!: () => void;

  constructor(
    private readonly webview: WebviewPort,
    private readonly handler: PanelHandler<C>,
    private readonly onError: (message: string) => void = () => undefined,
    timeoutMs?: number,
  ) {
    this.firstSnapshot = new Promise((resolve) => (this.markSnapshot = resolve));
    this.endpoint = new RpcEndpoint(
      (m) => void this.webview.postMessage(m),
      {
        request: async (m) => {
          this.stats.requests++;
          try {
            return await this.handler.handleRequest(m as RequestUnion<C['requests']>, this.cancellation);
          } catch (e) {
            this.stats.failedRequests++;
            throw e;
          }
        },
        notification: (m) => {
          if (m.method === READY_METHOD) void this.sendSnapshot((m.params as ReadyParams<C['state']>)?.state ?? null);
          else this.handler.handleNotification?.(m as NotificationUnion<C['toHost']>);
        },
      },
      timeoutMs,
    );
    this.subscription = webview.onDidReceiveMessage((m) => this.endpoint.receive(m));
  }

  /** Build a fresh snapshot and send it (after ready, or when the panel's subject changes wholesale). */
  async sendSnapshot(restored: C['state'] | null = null): Promise<void> {
    try {
      const snapshot = await this.handler.snapshot(restored);
      this.endpoint.notify(SNAPSHOT_METHOD, { snapshot });
      this.lastSnapshot = snapshot;
      this.stats.snapshots++;
    } catch (e) {
      this.onError(`Could not build the panel's state: ${errorMessage(e)}`);
    } finally {
      this.markSnapshot();
    }
  }

  /** Send a notification to the webview now. */
  notify<K extends keyof C['toWebview'] & string>(method: K, params: C['toWebview'][K]): void {
    this.endpoint.notify(method, params);
  }

  /** A throttled sender for streamed updates (progress, partial results): at most one per intervalMs. */
  stream<K extends keyof C['toWebview'] & string>(method: K, intervalMs = 1000): Throttled<C['toWebview'][K]> {
    const t = new Throttled<C['toWebview'][K]>((p) => this.notify(method, p), intervalMs);
    this.streams.add(t);
    return t;
  }

  /** Ask the webview something (it must serve the method); rejects on timeout or when the panel closes. */
  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    return this.endpoint.request(method, params, timeoutMs);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** The panel closed: pending requests reject, in-flight handlers see cancelled, streams stop. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancellation.cancelled = true;
    this.endpoint.dispose();
    for (const s of this.streams) s.dispose();
    this.streams.clear();
    this.subscription.dispose();
    this.handler.dispose?.();
  }
}
