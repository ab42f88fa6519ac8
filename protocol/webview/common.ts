/**
 * Envelopes and handshake shared by every webview panel (extension host <-> webview).
 * Imported by extension/panels/panelRpc.ts (host) and webview/shared/rpc.ts (browser); no runtime deps.
 * Each panel's own file (protocol/webview/<panel>.ts) declares a PanelContract: its requests, notifications,
 * snapshot and persisted state. See docs/PANELS.md.
 */

/** A call that expects exactly one ResponseMessage with the same id. */
export interface RequestMessage<M extends string = string, P = unknown> {
  kind: 'request';
  id: number;
  method: M;
  params: P;
}

/** What went wrong in a request: a machine-readable code, what failed, and what to do. */
export interface RpcErrorData {
  code: RpcErrorCode;
  message: string;
  hint?: string;
}

/** Error codes: 'timeout' and 'disposed' come from the RPC layer itself, the others from handlers. */
export type RpcErrorCode = 'timeout' | 'disposed' | 'unknownMethod' | 'badInput' | 'notFound' | 'failed';

/** The answer to a request: exactly one of result or error. */
export type ResponseMessage<R = unknown> =
  { kind: 'response'; id: number; result: R } | { kind: 'response'; id: number; error: RpcErrorData };

/** A one-way message; nobody answers it. */
export interface NotificationMessage<M extends string = string, P = unknown> {
  kind: 'notification';
  method: M;
  params: P;
}

/** Any message that crosses the webview boundary. */
export type PanelMessage = RequestMessage | ResponseMessage | NotificationMessage;

/** method -> {params, result} of the requests one side serves. */
export type RequestMap = { [method: string]: { params: unknown; result: unknown } };

/** method -> params of the notifications one side receives. */
export type NotificationMap = { [method: string]: unknown };

/** Everything one panel's two sides say to each other; each panel's protocol file exports one. */
export interface PanelContract {
  /** Requests the webview sends and the host answers. */
  requests: RequestMap;
  /** Notifications the host sends to the webview (besides the snapshot). */
  toWebview: NotificationMap;
  /** Notifications the webview sends to the host (besides ready). */
  toHost: NotificationMap;
  /** The full state the host sends after the ready handshake (and whenever it changes wholesale). */
  snapshot: unknown;
  /** What the webview persists with vscode.setState, handed back to the host on ready after a restore. */
  state: unknown;
}

/** Webview -> host, once the script has loaded: "send me everything"; carries the restored state. */
export const READY_METHOD = 'panel/ready';
/** Host -> webview: the full state snapshot, the answer to ready (and re-sent on wholesale changes). */
export const SNAPSHOT_METHOD = 'panel/snapshot';

/** Params of the ready notification. */
export interface ReadyParams<S = unknown> {
  /** vscode.getState() of the webview, or null on a fresh panel. */
  state: S | null;
}

/** Params of the snapshot notification. */
export interface SnapshotParams<T = unknown> {
  snapshot: T;
}

/** The request messages of a RequestMap as a discriminated union (for a host `switch (request.method)`). */
export type RequestUnion<M extends RequestMap> = {
  [K in keyof M & string]: RequestMessage<K, M[K]['params']>;
}[keyof M & string];

/** The notification messages of a NotificationMap as a discriminated union. */
export type NotificationUnion<M extends NotificationMap> = {
  [K in keyof M & string]: NotificationMessage<K, M[K]>;
}[keyof M & string];
