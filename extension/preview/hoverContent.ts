/**
 * The markdown of a CAM preview hover: the top classes' CAM overlays as one small PNG data: URI, a table of
 * class scores (mean and peak raw CAM, METHOD §3.1), the run it came from, and a link to the CAM preview
 * editor. Every failure becomes hover text naming the run or file and what to do; nothing throws.
 * No `vscode` import: unit tests call it in plain Node.
 */
import * as path from 'node:path';
import { computeCams, loadCamModel, PreviewError, rankClasses } from './camModel';
import { renderHoverStrip } from './camRender';
import type { PreviewSource } from './previewRun';

/** Hover images above this many base64 characters are rendered again smaller. */
export const HOVER_MAX_DATA_URI = 100_000;
export const HOVER_TOP_CLASSES = 3;
export const OPEN_CAM_PREVIEW_COMMAND = 'wsss.openCamPreview';

export interface HoverPreview {
  markdown: string;
  /** The problem, as plain text, when there is no preview (else null). */
  problem: string | null;
  /** The PNG's size in bytes (0 when there is none) and the time it took. */
  pngBytes: number;
  ms: number;
}

const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

function message(title: string, text: string): HoverPreview {
  // Intraword underscores (export_onnx, cam_model) need no escape in CommonMark; brackets, stars and tags do.
  return {
    markdown: `**WSSS CAM preview** · ${title}\n\n${text.replace(/([\\`*[\]<>])/g, '\\$1')}`,
    problem: text,
    pngBytes: 0,
    ms: 0,
  };
}

/** The hover for image `file` with the source's model; problems become text. */
export async function hoverPreview(file: string, source: PreviewSource): Promise<HoverPreview> {
  const name = path.basename(file);
  if (!source.runDir) return message(code(name), source.problem ?? 'No run with an exported model.');
  const start = performance.now();
  try {
    const model = await loadCamModel(source.runDir);
    const result = await computeCams(model, file);
    const top = rankClasses(result, Math.min(HOVER_TOP_CLASSES, result.classes.length));
    const labels = top.map((k) => `${result.classes[k]} ${fmt(result.mean[k])}`);
    let tile = 160;
    let strip = await renderHoverStrip(result, top, labels, tile);
    while ((strip.png.length * 4) / 3 > HOVER_MAX_DATA_URI && tile > 48) {
      tile = Math.round(tile * 0.75);
      strip = await renderHoverStrip(result, top, labels, tile);
    }
    const ms = performance.now() - start;
    const uri = `data:image/png;base64,${strip.png.toString('base64')}`;
    const rows = rankClasses(result, Math.min(5, result.classes.length)).map(
      (k) => `| ${result.classes[k]} | ${fmt(result.mean[k])} | ${fmt(result.peak[k])} |`,
    );
    const args = encodeURIComponent(JSON.stringify([file, source.runDir]));
    const markdown = [
      `**WSSS CAM preview** · ${code(name)} · run ${code(source.runName ?? path.basename(source.runDir))}${model.meta.synthetic ? ' (synthetic)' : ''}`,
      '',
      `![CAM preview of ${name.replace(/[[\]]/g, '')}](${uri})`,
      '',
      '| class | mean CAM | peak CAM |',
      '|---|---:|---:|',
      ...rows,
      '',
      `${result.width}×${result.height} px, model input ${result.inputWidth}×${result.inputHeight}, ${Math.round(ms)} ms · [Open in CAM Preview](command:${OPEN_CAM_PREVIEW_COMMAND}?${args})`,
    ].join('\n');
    return { markdown, problem: null, pngBytes: strip.png.length, ms };
  } catch (e) {
    if (e instanceof PreviewError) return message(code(name), e.message);
    return message(code(name), `Preview failed for ${file}: ${(e as Error)?.message ?? String(e)}`);
  }
}
