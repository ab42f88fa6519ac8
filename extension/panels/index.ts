/**
 * Registers every webview panel: the command that opens it and the serializer that restores it after a
 * VS Code restart. A new panel adds one entry to `panels` (a PanelDefinition) or, for a custom editor,
 * one registration call in registerPanels. See docs/PANELS.md.
 */
import * as vscode from 'vscode';
import type { PanelContract } from '../../protocol/webview/common';
import type { CamPreviewHoverProvider } from '../preview/hoverProvider';
import { camPanelWith } from './cam/definition';
import { UNTRUSTED_MESSAGE } from './cam/wordCamCompare';
import { registerCamPreviewEditor } from './campreview/camPreviewEditor';
import { datasetPanel } from './dataset/definition';
import { argPath, attachPanel, vscodeEnvironment, type PanelDefinition, type PanelEnvironment } from './panelHost';
import type { PanelRpc } from './panelRpc';
import { reportPanel } from './report/definition';
import { engineWordCams } from './synonyms/engineAccess';
import { registerSynonymBankEditor, type SynonymEditorServices } from './synonyms/synonymBankEditor';

/** What the extension hands the panels (a structural subset of the extension's services). */
export interface PanelServices extends SynonymEditorServices {
  /** The extension's output channel, for panel logs. */
  output?: { appendLine(line: string): void };
}

export function registerPanels(
  context: vscode.ExtensionContext,
  services: PanelServices,
  previews: Pick<CamPreviewHoverProvider, 'currentSource'>,
): void {
  const env = vscodeEnvironment(context, services.output);
  const camPanel = camPanelWith({
    wordCams: services.ensureEngine ? engineWordCams((action) => services.ensureEngine!(action)) : undefined,
    engineBlocked: () => (vscode.workspace.isTrusted ? null : UNTRUSTED_MESSAGE),
  });
  // `any`: a list of definitions of different contracts
  const panels: PanelDefinition<any>[] = [datasetPanel, camPanel, reportPanel];
  for (const def of panels) registerPanel(context, def, env);
  context.subscriptions.push(vscode.commands.registerCommand('wsss.panels.status', panelStatus));
  // custom editors and other panel kinds register here, one line each
  registerSynonymBankEditor(context, env, services);
  registerCamPreviewEditor(context, env, previews);
}

/** The open panel of each view type (a second "open" with no argument reveals it). */
const open = new Map<string, { panel: vscode.WebviewPanel; rpc: PanelRpc<PanelContract> }>();

/**
 * Internal command `wsss.panels.status`: which panels are open and how much they have talked; with
 * `{ snapshotOf: viewType }`, that panel's last snapshot too (snapshots can be large, so only when asked).
 */
function panelStatus(options?: { snapshotOf?: string }): {
  viewType: string;
  title: string;
  visible: boolean;
  snapshots: number;
  requests: number;
  failedRequests: number;
  snapshot?: unknown;
}[] {
  return [...open].map(([viewType, { panel, rpc }]) => ({
    viewType,
    title: panel.title,
    visible: panel.visible,
    ...rpc.stats,
    ...(options?.snapshotOf === viewType ? { snapshot: rpc.lastSnapshot } : {}),
  }));
}

function registerPanel<C extends PanelContract>(
  context: vscode.ExtensionContext,
  def: PanelDefinition<C>,
  env: PanelEnvironment,
): void {
  const track = (panel: vscode.WebviewPanel, rpc: PanelRpc<C>): void => {
    open.set(def.viewType, { panel, rpc: rpc as unknown as PanelRpc<PanelContract> });
    panel.onDidDispose(() => {
      if (open.get(def.viewType)?.panel === panel) open.delete(def.viewType);
    });
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(def.command, (arg?: unknown) => {
      const target = argPath(arg);
      const existing = open.get(def.viewType);
      if (existing && target === undefined) {
        existing.panel.reveal();
        return;
      }
      const panel = vscode.window.createWebviewPanel(def.viewType, def.title, vscode.ViewColumn.Active);
      track(panel, attachPanel(panel, def, context.extensionUri, env, target));
    }),
    vscode.window.registerWebviewPanelSerializer(def.viewType, {
      // The webview's saved state reaches the handler through the ready handshake, not through here.
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        track(panel, attachPanel(panel, def, context.extensionUri, env, undefined));
      },
    }),
  );
}
