/**
 * "Open With… > WSSS CAM Preview" for .jpg/.jpeg/.png (a read-only custom editor, priority "option": the
 * image viewer stays the default) and the command `wsss.openCamPreview` (hover link, palette). The page
 * is the shared panel page (panelHost.ts: strict CSP, RPC, snapshot handshake) with webview/campreview/.
 */
import * as vscode from 'vscode';
import type { CamPreviewContract } from '../../../protocol/webview/campreview';
import { argPath, attachPanel, type PanelDefinition, type PanelEnvironment } from '../panelHost';
import { createCamPreviewHandler } from './camPreviewHandler';
import { OPEN_CAM_PREVIEW_COMMAND } from '../../preview/hoverContent';
import type { CamPreviewHoverProvider } from '../../preview/hoverProvider';
import { activeFileUri } from '../activeFile';

export const CAM_PREVIEW_VIEW_TYPE = 'wsss.camPreview';

class CamPreviewEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly env: PanelEnvironment,
    private readonly runs: Pick<CamPreviewHoverProvider, 'currentSource'>,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, webviewPanel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    const definition: PanelDefinition<CamPreviewContract> = {
      viewType: CAM_PREVIEW_VIEW_TYPE,
      command: OPEN_CAM_PREVIEW_COMMAND,
      title: `CAM preview: ${vscode.workspace.asRelativePath(document.uri)}`,
      script: 'campreview',
      createHandler: () => createCamPreviewHandler(file, () => this.runs.currentSource()),
    };
    attachPanel(webviewPanel, definition, this.context.extensionUri, this.env, file);
  }
}

/** Registers the editor and `wsss.openCamPreview` (argument: an image Uri or path; else the active editor's file). */
export function registerCamPreviewEditor(
  context: vscode.ExtensionContext,
  env: PanelEnvironment,
  runs: Pick<CamPreviewHoverProvider, 'currentSource'>,
): void {
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      CAM_PREVIEW_VIEW_TYPE,
      new CamPreviewEditorProvider(context, env, runs),
      {
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      },
    ),
    vscode.commands.registerCommand(OPEN_CAM_PREVIEW_COMMAND, async (arg?: unknown) => {
      const file = argPath(arg) ?? activeFileUri()?.fsPath; // the image viewer's tab too
      if (!file) {
        void vscode.window.showErrorMessage(
          'Name an image (.jpg or .png) to open in the WSSS CAM Preview, e.g. from the Explorer\'s "Open With…".',
        );
        return;
      }
      await vscode.commands.executeCommand(
        'vscode.openWith',
        vscode.Uri.file(file),
        CAM_PREVIEW_VIEW_TYPE,
        vscode.ViewColumn.Beside,
      );
    }),
  );
}
