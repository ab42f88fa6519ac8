// Renders a real panel bundle (dist/webview/<panel>.js) in Debian Chromium, wired to the REAL host-side
// handler running here in Node: the page is extension/panels/panelHtml.ts's page with its strict CSP,
// served over loopback HTTP; a fake acquireVsCodeApi (an init script) sends messages over a Playwright
// binding to a PanelRpc, whose posts come back as window 'message' events, as in a VS Code webview.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { PanelContract } from '../../../protocol/webview/common';
import { renderPanelHtml } from '../../../extension/panels/panelHtml';
import type { PanelEnvironment } from '../../../extension/panels/panelHost';
import { PanelRpc, type PanelHandler } from '../../../extension/panels/panelRpc';
import { repoRoot } from '../../support/paths';
import { themeInitScript } from './vscodeTheme';

/** A PanelEnvironment for tests: folders in a temp dir, a scripted folder picker, saved files kept. */
export interface TestEnvironment extends PanelEnvironment {
  errors: string[];
  logs: string[];
  saved: { name: string; path: string }[];
  /** What the next pickFolder answers. */
  nextPick: string | undefined;
  cleanup(): void;
}

export function testEnvironment(storageDir?: string): TestEnvironment {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-panel-env-'));
  const env: TestEnvironment = {
    storageDir: storageDir ?? path.join(tmp, 'storage'),
    workspaceFolders: [repoRoot],
    errors: [],
    logs: [],
    saved: [],
    nextPick: undefined,
    async pickFolder() {
      return env.nextPick;
    },
    async saveFile(defaultName, bytes) {
      const file = path.join(tmp, defaultName);
      fs.writeFileSync(file, bytes);
      env.saved.push({ name: defaultName, path: file });
      return file;
    },
    showError: (m) => void env.errors.push(m),
    log: (m) => void env.logs.push(m),
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }),
  };
  return env;
}

/** Serves dist/ and media/ of the project and the panel page; one per test file. */
export class PanelServer {
  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PanelServer> {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const page = /^\/panel\/(\w+)$/.exec(url.pathname);
      if (page) {
        const origin = `http://${req.headers.host}`;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          renderPanelHtml({
            cspSource: origin,
            scriptUri: `${origin}/dist/webview/${page[1]}.js`,
            styleUris: [`${origin}/media/panels.css`],
            title: page[1],
          }),
        );
        return;
      }
      const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
      if (!/^(dist|media)[/\\]/.test(rel)) {
        res.writeHead(404).end();
        return;
      }
      fs.readFile(path.join(repoRoot, rel), (err, bytes) => {
        if (err) return void res.writeHead(404).end();
        const type = rel.endsWith('.js')
          ? 'text/javascript'
          : rel.endsWith('.css')
            ? 'text/css'
            : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(bytes);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new PanelServer(server, `http://127.0.0.1:${port}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Where the panel script's messages end up and how the host's reach the page. */
export interface OpenedPanel<C extends PanelContract> {
  rpc: PanelRpc<C>;
  /** Content-Security-Policy violations the page reported (must stay empty). */
  cspViolations(): Promise<string[]>;
  /** Close the panel: disposes the host side as VS Code's onDidDispose would. */
  dispose(): void;
}

const PAGE_INIT = `(() => {
  const KEY = 'wsss-webview-state';
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may be called once');
    acquired = true;
    return {
      postMessage: (m) => window.__wsssToHost(m),
      getState: () => JSON.parse(sessionStorage.getItem(KEY) ?? 'null'),
      setState: (s) => sessionStorage.setItem(KEY, JSON.stringify(s)),
    };
  };
})();`;

/** Load dist/webview/<script>.js in the page with a handler built by makeHandler (re-built per page load). */
export async function openPanel<C extends PanelContract>(
  page: Page,
  server: PanelServer,
  script: string,
  makeHandler: (rpc: PanelRpc<C>) => PanelHandler<C>,
): Promise<OpenedPanel<C>> {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'webview', `${script}.js`))) {
    throw new Error(`dist/webview/${script}.js is missing: run \`npm run build\` first`);
  }
  let listener: ((m: unknown) => void) | undefined;
  const port = {
    postMessage: async (message: unknown) => {
      // As JSON text, as VS Code serialises webview messages (Playwright's own object serialiser is far slower).
      const json = JSON.stringify(message);
      await page
        .evaluate((text) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(text) })), json)
        .catch(() => undefined);
      return true;
    },
    onDidReceiveMessage: (l: (m: unknown) => void) => {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
  };
  let handler: PanelHandler<C> | undefined;
  const rpc = new PanelRpc<C>(
    port,
    {
      snapshot: (r) => handler!.snapshot(r),
      handleRequest: (r, c) => handler!.handleRequest(r, c),
      handleNotification: (n) => handler!.handleNotification?.(n),
      dispose: () => handler!.dispose?.(),
    },
    (m) => {
      throw new Error(m);
    },
  );
  handler = makeHandler(rpc);
  await page.exposeFunction('__wsssToHost', (m: unknown) => listener?.(m));
  await page.addInitScript(PAGE_INIT);
  await page.addInitScript(themeInitScript());
  await page.goto(`${server.origin}/panel/${script}`);
  return {
    rpc,
    cspViolations: () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations),
    dispose: () => rpc.dispose(),
  };
}
