/**
 * Hover provider: hovering an image id of the preview run's dataset or a path to an image (in JSON, text,
 * Python or Markdown) shows that image's CAMs from the run's exported ONNX model (docs/DESIGN.md "In the
 * editor"). The work happens in vscode-free modules (previewRun.ts, hoverContent.ts); this file adapts
 * them to VS Code: the word under the cursor, settings, caches, and the MarkdownString's trust.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../settings';
import { hoverPreview, OPEN_CAM_PREVIEW_COMMAND, type HoverPreview } from './hoverContent';
import { findPreviewSource, IMAGE_TOKEN, resolveImageToken, type PreviewSource } from './previewRun';

export const HOVER_LANGUAGES = ['json', 'jsonc', 'plaintext', 'python', 'markdown'];
/** How long the chosen run is trusted before the runs directory is read again (ms). */
const SOURCE_TTL_MS = 5000;
const MAX_CACHED_HOVERS = 32;

/** The "wsss.previewRun" setting ("" = the latest exported completed run). */
export function previewRunSetting(): string {
  return vscode.workspace.getConfiguration('wsss').get<string>('previewRun', '') ?? '';
}

export class CamPreviewHoverProvider implements vscode.HoverProvider {
  private source: { at: number; value: Promise<PreviewSource> } | undefined;
  private readonly hovers = new Map<string, Promise<HoverPreview>>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** The preview run, re-read every few seconds and when settings change. */
  currentSource(): Promise<PreviewSource> {
    if (!this.source || Date.now() - this.source.at > SOURCE_TTL_MS) {
      this.source = {
        at: Date.now(),
        value: findPreviewSource({
          runsDirectory: readSettings().runsDirectory,
          runSearchFolders: readSettings().runSearchFolders,
          previewRun: previewRunSetting() || undefined,
          workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        }),
      };
    }
    return this.source.value;
  }

  forgetSource(): void {
    this.source = undefined;
  }

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    try {
      const range = document.getWordRangeAtPosition(position, IMAGE_TOKEN);
      if (!range) return undefined;
      const source = await this.currentSource();
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const documentDir = document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : undefined;
      const file = await resolveImageToken(document.getText(range), source.datasetRoot, documentDir, folders);
      if (!file || token.isCancellationRequested) return undefined;
      const preview = await this.preview(file, source);
      if (token.isCancellationRequested) return undefined;
      const markdown = new vscode.MarkdownString(preview.markdown);
      // Only the preview command may run from the hover's link; images are data: URIs, no HTML needed.
      markdown.isTrusted = { enabledCommands: [OPEN_CAM_PREVIEW_COMMAND] };
      markdown.supportHtml = false;
      return new vscode.Hover(markdown, range);
    } catch (e) {
      this.log(`CAM preview hover failed: ${(e as Error)?.stack ?? String(e)}`);
      return undefined; // a hover never throws into the editor
    }
  }

  /** One hover per (run, image file, file version); the oldest is dropped beyond MAX_CACHED_HOVERS. */
  private async preview(file: string, source: PreviewSource): Promise<HoverPreview> {
    const stat = await fs.stat(file).catch(() => null);
    const key = `${source.runDir ?? source.problem}|${file}|${stat?.mtimeMs}|${stat?.size}`;
    let hover = this.hovers.get(key);
    if (!hover) {
      hover = hoverPreview(file, source);
      this.hovers.set(key, hover);
      if (this.hovers.size > MAX_CACHED_HOVERS) this.hovers.delete(this.hovers.keys().next().value!);
      void hover.then((h) => {
        if (h.problem)
          this.hovers.delete(key); // problems are re-checked on the next hover
        else this.log(`CAM preview of ${file}: ${Math.round(h.ms)} ms, ${h.pngBytes} B PNG`);
      });
    }
    return hover;
  }
}

/** Registers the hover for the preview languages; returns the provider (the CAM preview editor shares its run choice). */
export function registerCamPreviewHover(
  context: vscode.ExtensionContext,
  log?: (line: string) => void,
): CamPreviewHoverProvider {
  const provider = new CamPreviewHoverProvider(log);
  const selector = HOVER_LANGUAGES.flatMap((language) => [
    { language, scheme: 'file' },
    { language, scheme: 'untitled' },
  ]);
  context.subscriptions.push(
    vscode.languages.registerHoverProvider(selector, provider),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('wsss')) provider.forgetSource();
    }),
  );
  return provider;
}
