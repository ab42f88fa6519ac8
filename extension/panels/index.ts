/**
 * Registers every webview panel: the command that opens it and the serializer that restores it after a
 * VS Code restart. A new panel adds one entry to PANELS (a PanelDefinition) or, for a custom editor,
 * one registration call in registerPanels. See docs/PANELS.md.
 */
import * as vscode from 'vscode';
import type { PanelContract } from '../../protocol/webview/common';
import { camPanel } from './cam/definition';
import { datasetPanel } from './dataset/definition';
import { argPath, attachPanel, vscodeEnvironment, type PanelDefinition, type PanelEnvironment } from './panelHost';
import { reportPanel } from './report/definition';
import { registerSynonymBankEditor, type SynonymEditorServices } from './synonyms/synonymBankEditor';

/** What the extension hands the panels (a structural subset of the extension's services). */
export interface PanelServices extends SynonymEditorServices {
  /** The extension's output channel, for panel logs. */
  output?: { appendLine(line: string): void };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of definitions of different contracts
const PANELS: PanelDefinition<any>[] = [
  datasetPanel,
  camPanel,
  reportPanel,
];

export function registerPanels(context: vscode.ExtensionContext, services: PanelServices): void {
  const env = vscodeEnvironment(context, services.output);
  for (const def of PANELS) registerPanel(context, def, env);
  // custom editors and other panel kinds register here, one line each
  registerSynonymBankEditor(context, env, services);
}

/** The open panel of each view type (a second "open" with no argument reveals it). */
const open = new Map<string, vscode.WebviewPanel>();

function registerPanel<C extends PanelContract>(
  context: vscode.ExtensionContext,
  def: PanelDefinition<C>,
  env: PanelEnvironment,
): void {
  const track = (panel: vscode.WebviewPanel): void => {
    open.set(def.viewType, panel);
    panel.onDidDispose(() => {
      if (open.get(def.viewType) === panel) open.delete(def.viewType);
    });
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(def.command, (arg?: unknown) => {
      const target = argPath(arg);
      const existing = open.get(def.viewType);
      if (existing && target === undefined) {
        existing.reveal();
        return;
      }
      const panel = vscode.window.createWebviewPanel(def.viewType, def.title, vscode.ViewColumn.Active);
      attachPanel(panel, def, context.extensionUri, env, target);
      track(panel);
    }),
    vscode.window.registerWebviewPanelSerializer(def.viewType, {
      // The webview's saved state reaches the handler through the ready handshake, not through here.
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        attachPanel(panel, def, context.extensionUri, env, undefined);
        track(panel);
      },
    }),
  );
}
