// Registers the inline CAM previews (DESIGN.md "In the editor"): the image hover and the CAM preview editor.
import type * as vscode from 'vscode';
import { vscodeEnvironment } from '../panels/panelHost';
import { registerCamPreviewEditor } from './camPreviewEditor';
import { registerCamPreviewHover } from './hoverProvider';

export function registerCamPreviews(context: vscode.ExtensionContext, output?: { appendLine(line: string): void }): void {
  const hover = registerCamPreviewHover(context, (line) => output?.appendLine(line));
  registerCamPreviewEditor(context, vscodeEnvironment(context, output), hover);
}
