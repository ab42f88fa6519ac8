/**
 * The webview side of a panel's channel: typed requests to the host (time out and reject), notification
 * handlers, the ready -> snapshot handshake, and vscode.getState/setState so a panel restores where it was.
 * Usage: const panel = connectPanel<DatasetContract>(); panel.onSnapshot(render); panel.ready();
 */
import {
  READY_METHOD,
  SNAPSHOT_METHOD,
  type PanelContract,
  type ReadyParams,
  type SnapshotParams,
} from '../../protocol/webview/common';
import { RpcEndpoint, RpcError } from '../../common/rpcEndpoint';

export { RpcError };

/** The object VS Code gives a webview script once (acquireVsCodeApi); tests provide their own. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

type Handler<P> = (params: P) => void;

export class PanelClient<C extends PanelContract> {
  private readonly endpoint: RpcEndpoint;
  private readonly handlers = new Map<string, Set<Handler<never>>>();
  private readonly onMessage = (event: MessageEvent): void => this.endpoint.receive(event.data);

  constructor(
    private readonly api: VsCodeApi,
    private readonly target: Pick<Window, 'addEventListener' | 'removeEventListener'> = window,
    timeoutMs?: number,
  ) {
    this.endpoint = new RpcEndpoint(
      (m) => api.postMessage(m),
      {
        request: async (m) => {
          throw new RpcError('unknownMethod', `This panel serves no requests (got '${m.method}').`);
        },
        notification: (m) => this.dispatch(m.method, m.params),
      },
      timeoutMs,
    );
    target.addEventListener('message', this.onMessage as EventListener);
  }

  /** Ask the host; rejects with RpcError ('timeout', 'disposed' or the host's error). */
  request<K extends keyof C['requests'] & string>(
    method: K,
    params: C['requests'][K]['params'],
    timeoutMs?: number,
  ): Promise<C['requests'][K]['result']> {
    return this.endpoint.request(method, params, timeoutMs) as Promise<C['requests'][K]['result']>;
  }

  /** Tell the host something; no answer. */
  notify<K extends keyof C['toHost'] & string>(method: K, params: C['toHost'][K]): void {
    this.endpoint.notify(method, params);
  }

  /** Listen to a host notification; returns a function that stops listening. */
  on<K extends keyof C['toWebview'] & string>(method: K, handler: Handler<C['toWebview'][K]>): () => void {
    return this.listen(method, handler);
  }

  /** Listen to full snapshots (the answer to ready, and any later wholesale change). */
  onSnapshot(handler: Handler<C['snapshot']>): () => void {
    return this.listen(SNAPSHOT_METHOD, (p: SnapshotParams<C['snapshot']>) => handler(p.snapshot));
  }

  /** Start the handshake: the host answers with a snapshot. Call after registering handlers. */
  ready(): void {
    const params: ReadyParams<C['state']> = { state: this.getState() ?? null };
    this.endpoint.notify(READY_METHOD, params);
  }

  /** The state saved with setState, surviving hide/show and VS Code restarts (via the serializer). */
  getState(): C['state'] | undefined {
    return (this.api.getState() ?? undefined) as C['state'] | undefined;
  }

  setState(state: C['state']): void {
    this.api.setState(state);
  }

  /** Merge a partial update into the saved state. */
  patchState(patch: Partial<C['state']>): void {
    this.setState({ ...(this.getState() ?? {}), ...patch } as C['state']);
  }

  /** Requests still waiting for the host. */
  get pendingCount(): number {
    return this.endpoint.pendingCount;
  }

  /** Drop pending requests (they reject with 'disposed') and stop listening. */
  dispose(): void {
    this.endpoint.dispose();
    this.target.removeEventListener('message', this.onMessage as EventListener);
    this.handlers.clear();
  }

  private listen<P>(method: string, handler: Handler<P>): () => void {
    let set = this.handlers.get(method);
    if (!set) this.handlers.set(method, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  private dispatch(method: string, params: unknown): void {
    const set = this.handlers.get(method);
    if (!set) return;
    for (const h of set) (h as Handler<unknown>)(params);
  }
}

let connected: PanelClient<PanelContract> | undefined;

/** The panel's one client (acquireVsCodeApi may be called only once per webview). */
export function connectPanel<C extends PanelContract>(): PanelClient<C> {
  connected ??= new PanelClient<PanelContract>(acquireVsCodeApi());
  return connected as unknown as PanelClient<C>;
}
