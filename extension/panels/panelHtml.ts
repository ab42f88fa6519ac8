/**
 * The HTML page of every panel, with a strict Content-Security-Policy: nothing loads unless it comes from
 * the extension's own dist/ or media/ (webview.cspSource), scripts need the per-load nonce, images may also
 * be data:/blob: URIs (thumbnails, masks and CAMs travel as data: URIs). Free of `vscode` imports: the
 * webview tests serve the very same page from a plain HTTP server.
 */
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  /** webview.cspSource in VS Code; the test server's origin in the browser tests. */
  cspSource: string;
  /** URI of dist/webview/<panel>.js. */
  scriptUri: string;
  /** URIs of stylesheets (media/panels.css first). */
  styleUris: string[];
  /** Title shown in the page (the tab title is set by the host). */
  title: string;
  /** Fresh per page load; generated when omitted. */
  nonce?: string;
}

/** A random nonce for script-src. */
export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

/** The Content-Security-Policy of a panel page. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `script-src 'nonce-${nonce}'`,
    // Lit (@vscode-elements) styles components with adoptedStyleSheets, which CSP does not gate; the
    // nonce covers <style> elements. No 'unsafe-inline'.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The full HTML document; the panel's script builds everything inside <main id="app">. */
export function renderPanelHtml(page: PanelPage): string {
  const nonce = page.nonce ?? makeNonce();
  const styles = page.styleUris
    .map((u) => `<link rel="stylesheet" href="${escapeHtml(u)}" nonce="${nonce}">`)
    .join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(page.cspSource, nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeHtml(page.title)}</title>
  </head>
  <body>
    <main id="app" data-nonce="${nonce}"></main>
    <script type="module" nonce="${nonce}" src="${escapeHtml(page.scriptUri)}"></script>
  </body>
</html>`;
}
