// Registers the inline CAM previews (docs/DESIGN.md "In the editor"): the image hover, whose run choice the CAM
// Preview editor (extension/panels/campreview/) shares.
import type * as vscode from 'vscode';
import { registerCamPreviewHover, type CamPreviewHoverProvider } from './hoverProvider';

export function registerCamPreviews(
  context: vscode.ExtensionContext,
  output?: { appendLine(line: string): void },
): CamPreviewHoverProvider {
  return registerCamPreviewHover(context, (line) => output?.appendLine(line));
}
