/**
 * Opens, restores and closes one kind of webview panel. A PanelDefinition names the panel (view type,
 * command, script) and builds its host logic (a PanelHandler, vscode-free). This file is the only panel
 * code that touches the VS Code API: webview options, HTML, the serializer, disposal.
 */
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { PanelContract } from '../../protocol/webview/common';
import { readSettings } from '../settings';
import { renderPanelHtml } from './panelHtml';
import { PanelRpc, type PanelHandler } from './panelRpc';

/** What a panel's host logic may ask of VS Code, as plain functions (tests pass their own). */
export interface PanelEnvironment {
  /** Folder for caches (thumbnails...): the extension's globalStorage. */
  storageDir: string;
  /** Absolute paths of the workspace folders. */
  workspaceFolders: string[];
  /** The runs directory setting ("wsss.runsDirectory"), absolute; read each time (settings change). */
  runsDirectory?(): string | undefined;
  /** More folders to search for runs (setting "wsss.runSearchFolders"), absolute; read each time. */
  runSearchFolders?(): string[];
  /** Ask the user for a folder; undefined when cancelled. */
  pickFolder(title: string, defaultPath?: string): Promise<string | undefined>;
  /** Ask where to save a file and write the bytes; the chosen path, or undefined when cancelled. */
  saveFile(defaultName: string, bytes: Uint8Array): Promise<string | undefined>;
  /** Show a message outside the panel (errors the panel cannot show itself). */
  showError(message: string): void;
  /** Log a line to the extension's output channel. */
  log(message: string): void;
}

/** One kind of panel. */
export interface PanelDefinition<C extends PanelContract> {
  /** Webview view type, also the serializer's key (and `onWebviewPanel:<viewType>` activation event). */
  viewType: string;
  /** Command that opens the panel; its first argument (Uri or string path) goes to createHandler. */
  command: string;
  /** Tab title. */
  title: string;
  /** Bundle name: dist/webview/<script>.js, built from webview/<script>/main.ts. */
  script: string;
  /** Build the host logic; `arg` is the command's first argument (undefined on restore). */
  createHandler(rpc: PanelRpc<C>, env: PanelEnvironment, arg: string | undefined): PanelHandler<C>;
}

/** Where the panel may load files from: only the extension's own bundles and media. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false, // state survives via getState/setState and the snapshot handshake
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Wire a (new or restored) WebviewPanel to its definition's host logic. */
export function attachPanel<C extends PanelContract>(
  panel: vscode.WebviewPanel,
  def: PanelDefinition<C>,
  extensionUri: vscode.Uri,
  env: PanelEnvironment,
  arg: string | undefined,
): PanelRpc<C> {
  const webview = panel.webview;
  webview.options = webviewOptions(extensionUri);
  const asUri = (...segments: string[]): string =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...segments)).toString();
  let handler: PanelHandler<C> | undefined;
  const rpc = new PanelRpc<C>(
    webview,
    {
      // The handler is built after the rpc (it needs it to send updates); the rpc only calls it later.
      snapshot: (restored) => handler!.snapshot(restored),
      handleRequest: (request, cancellation) => handler!.handleRequest(request, cancellation),
      handleNotification: (n) => handler!.handleNotification?.(n),
      dispose: () => handler!.dispose?.(),
    },
    (message) => env.showError(`${def.title}: ${message}`),
  );
  handler = def.createHandler(rpc, env, arg);
  webview.html = renderPanelHtml({
    cspSource: webview.cspSource,
    scriptUri: asUri('dist', 'webview', `${def.script}.js`),
    styleUris: [asUri('media', 'panels.css')],
    title: def.title,
  });
  panel.onDidDispose(() => rpc.dispose());
  return rpc;
}

/** A command argument as a filesystem path: a Uri, a string, a tree item (runDir / resourceUri); else undefined. */
export function argPath(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string' && arg.length > 0) return path.resolve(arg);
  if (arg && typeof arg === 'object') {
    const item = arg as { runDir?: unknown; resourceUri?: unknown };
    if (typeof item.runDir === 'string') return item.runDir; // a run in the WSSS Runs tree
    if (item.resourceUri instanceof vscode.Uri) return item.resourceUri.fsPath;
  }
  return undefined;
}

/** The PanelEnvironment of the running extension. */
export function vscodeEnvironment(
  context: vscode.ExtensionContext,
  output?: { appendLine(s: string): void },
): PanelEnvironment {
  return {
    storageDir: context.globalStorageUri.fsPath,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    runsDirectory: () => readSettings().runsDirectory,
    runSearchFolders: () => readSettings().runSearchFolders,
    async pickFolder(title, defaultPath) {
      const picked = await vscode.window.showOpenDialog({
        title,
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: defaultPath ? vscode.Uri.file(defaultPath) : undefined,
      });
      return picked?.[0]?.fsPath;
    },
    async saveFile(defaultName, bytes) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        defaultUri: folder ? vscode.Uri.joinPath(folder, defaultName) : undefined,
        filters: { 'PNG image': ['png'] },
      });
      if (!target) return undefined;
      await vscode.workspace.fs.writeFile(target, bytes);
      return target.fsPath;
    },
    showError: (message) => void vscode.window.showErrorMessage(message),
    log: (message) => output?.appendLine(message),
  };
}
