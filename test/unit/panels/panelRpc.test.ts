// The panel message layer with both ends in one process: protocol/webview/rpcEndpoint.ts under the host's
// PanelRpc and a second endpoint playing the webview. Real timers, short timeouts.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PanelContract, PanelMessage } from '../../../protocol/webview/common';
import { RpcEndpoint, RpcError } from '../../../common/rpcEndpoint';
import { PanelRpc, Throttled, type PanelHandler } from '../../../extension/panels/panelRpc';

interface EchoContract extends PanelContract {
  requests: {
    'echo/upper': { params: { text: string }; result: string };
    'echo/slow': { params: { ms: number }; result: string };
    'echo/fail': { params: Record<string, never>; result: never };
  };
  toWebview: { 'echo/progress': { done: number } };
  toHost: Record<string, never>;
  snapshot: { greeting: string; restored: unknown };
  state: { n: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host PanelRpc and a webview-side endpoint joined by asynchronous queues (like postMessage). */
function pair(timeoutMs = 200) {
  let toHost: ((m: unknown) => void) | undefined;
  const received: PanelMessage[] = [];
  const webview = new RpcEndpoint(
    (m) => setImmediate(() => toHost?.(JSON.parse(JSON.stringify(m)))),
    {
      request: (m) =>
        m.method === 'webview/hang'
          ? new Promise(() => undefined)
          : Promise.reject(new RpcError('unknownMethod', 'webview serves nothing')),
      notification: (m) => void received.push(m),
    },
    timeoutMs,
  );
  let cancelledSeen = false;
  const handler: PanelHandler<EchoContract> = {
    snapshot: async (restored) => ({ greeting: 'hi', restored }),
    async handleRequest(request, cancellation) {
      switch (request.method) {
        case 'echo/upper':
          return request.params.text.toUpperCase();
        case 'echo/slow':
          await sleep(request.params.ms);
          cancelledSeen = cancellation.cancelled;
          return 'late';
        case 'echo/fail':
          throw new RpcError('badInput', 'bad', 'do better');
        default:
          throw new RpcError('unknownMethod', 'no');
      }
    },
  };
  const host = new PanelRpc<EchoContract>(
    {
      postMessage: (m) => void setImmediate(() => webview.receive(JSON.parse(JSON.stringify(m)))),
      onDidReceiveMessage: (l) => {
        toHost = l;
        return { dispose: () => (toHost = undefined) };
      },
    },
    handler,
    undefined,
    timeoutMs,
  );
  return { host, webview, received, cancelled: () => cancelledSeen };
}

describe('panel RPC', () => {
  it('answers ready with a snapshot carrying the restored state', async () => {
    const { host, webview, received } = pair();
    webview.notify('panel/ready', { state: { n: 3 } });
    await host.firstSnapshot;
    await sleep(10);
    assert.deepEqual(
      received.map((m) => m.kind === 'notification' && [m.method, m.params]),
      [['panel/snapshot', { snapshot: { greeting: 'hi', restored: { n: 3 } } }]],
    );
    assert.equal(host.stats.snapshots, 1);
  });

  it('serves requests, carries typed errors, and counts them', async () => {
    const { host, webview } = pair();
    assert.equal(await webview.request('echo/upper', { text: 'sofa' }), 'SOFA');
    await assert.rejects(
      webview.request('echo/fail', {}),
      (e: RpcError) => e.code === 'badInput' && e.hint === 'do better',
    );
    await assert.rejects(webview.request('nope', {}), (e: RpcError) => e.code === 'unknownMethod');
    assert.deepEqual(host.stats, { snapshots: 0, requests: 3, failedRequests: 2 });
  });

  it('rejects a request that gets no answer in time, and ignores the late answer', async () => {
    const { webview } = pair(50);
    await assert.rejects(webview.request('echo/slow', { ms: 150 }), (e: RpcError) => e.code === 'timeout');
    assert.equal(webview.pendingCount, 0);
    await sleep(200); // the late response arrives and is dropped without error
  });

  it('drops pending requests when the panel closes; running handlers see the cancellation', async () => {
    const { host, webview, cancelled } = pair(1000);
    const asked = host.request('webview/hang', {});
    const slow = webview.request('echo/slow', { ms: 80 });
    await sleep(20); // the host handler is running now
    host.dispose();
    webview.dispose();
    await assert.rejects(asked, (e: RpcError) => e.code === 'disposed');
    await assert.rejects(slow, (e: RpcError) => e.code === 'disposed');
    await sleep(120);
    assert.equal(cancelled(), true);
    await assert.rejects(host.request('x', {}), (e: RpcError) => e.code === 'disposed');
  });

  it('throttles streamed updates to one per interval, always sending the last', async () => {
    const sent: number[] = [];
    const t = new Throttled<number>((v) => sent.push(v), 100);
    for (let i = 0; i < 50; i++) t.push(i); // first goes at once, the rest coalesce
    await sleep(30);
    assert.deepEqual(sent, [0]);
    await sleep(120);
    assert.deepEqual(sent, [0, 49]);
    t.push(50);
    t.flush();
    assert.deepEqual(sent, [0, 49, 50]);
    t.dispose();
  });
});
