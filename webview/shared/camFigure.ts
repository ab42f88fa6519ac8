/**
 * Figure-quality CAM pictures, shared by the CAM panel's PNG export (webview/cam/) and the CAM Preview
 * editor (webview/campreview/): tiny images are enlarged to at least FIGURE_LONG_SIDE px on their long side
 * with nearest-neighbour sampling (pixels stay pixels), captions are set in a legible size, and the heat
 * map's colour bar (0 … 1, the background threshold marked) is drawn beside it.
 */
import { colormapTable } from '../../common/colormaps';
import type { ColormapName } from '../../protocol/webview/cam';

/** The least long side of an exported or previewed image (px). */
export const FIGURE_LONG_SIDE = 512;

/** Sizes of the export layout (px); the webview test reads the colour bar back at these places. */
export const FIGURE_LAYOUT = {
  pad: 12,
  titleFont: 18,
  captionFont: 15,
  barHeight: 16,
  /** Caption line height. */
  line: 24,
} as const;

/** The scale that gives a w×h image a long side of at least FIGURE_LONG_SIDE (1 when it already has). */
export function figureScale(w: number, h: number): number {
  const long = Math.max(w, h, 1);
  return long >= FIGURE_LONG_SIDE ? 1 : FIGURE_LONG_SIDE / long;
}

/** Draw `source` into (x, y, w, h) with nearest-neighbour sampling when it is enlarged. */
export function drawCrisp(
  ctx: CanvasRenderingContext2D,
  source: CanvasImageSource,
  x: number,
  y: number,
  w: number,
  h: number,
  alpha = 1,
): void {
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.globalAlpha = alpha;
  ctx.drawImage(source, x, y, w, h);
  ctx.restore();
}

/** One line of text at a legible size, cut with an ellipsis to fit `maxWidth`. */
export function drawText(
  ctx: CanvasRenderingContext2D,
  text: string,
  x: number,
  y: number,
  maxWidth: number,
  size: number = FIGURE_LAYOUT.captionFont,
  bold = false,
): void {
  ctx.save();
  ctx.font = `${bold ? '600 ' : ''}${size}px sans-serif`;
  ctx.fillStyle = '#ffffff';
  ctx.textBaseline = 'middle';
  let t = text;
  while (t.length > 1 && ctx.measureText(t).width > maxWidth) t = `${t.slice(0, -2)}…`;
  ctx.fillText(t, x, y);
  ctx.restore();
}

/**
 * The colour bar of `colormap` from 0 (left) to 1 (right) at (x, y, w), ticks 0 / 0.5 / 1 under it and the
 * background threshold as a white mark; returns the height used.
 */
export function drawColourBar(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  w: number,
  colormap: ColormapName,
  threshold: number | null,
  label = 'CAM',
): number {
  const lut = colormapTable(colormap);
  const h = FIGURE_LAYOUT.barHeight;
  const labelW = 44;
  const barX = x + labelW;
  const barW = Math.max(32, w - labelW);
  drawText(ctx, label, x, y + h / 2, labelW - 4, 13);
  for (let i = 0; i < barW; i++) {
    const k = Math.round((i / Math.max(1, barW - 1)) * 255) * 3;
    ctx.fillStyle = `rgb(${lut[k]}, ${lut[k + 1]}, ${lut[k + 2]})`;
    ctx.fillRect(barX + i, y, 1, h);
  }
  if (threshold !== null) {
    const tx = barX + Math.round(threshold * (barW - 1));
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(tx - 1, y - 3, 2, h + 6);
  }
  ctx.save();
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#dddddd';
  ctx.textBaseline = 'top';
  for (const [t, align] of [
    [0, 'left'],
    [0.5, 'center'],
    [1, 'right'],
  ] as const) {
    ctx.textAlign = align;
    ctx.fillText(String(t), barX + t * (barW - 1), y + h + 4);
  }
  if (threshold !== null) {
    ctx.textAlign = 'center';
    ctx.fillText(`threshold ${threshold.toFixed(2)}`, barX + threshold * (barW - 1), y + h + 18);
  }
  ctx.restore();
  return h + (threshold !== null ? 34 : 20);
}

/** The colour bar as a page element (a canvas with CSS size; drawn at twice the pixels for sharp text). */
export function colourBarElement(colormap: ColormapName, threshold: number | null, width = 320): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const height = threshold !== null ? 52 : 38;
  canvas.width = width * 2;
  canvas.height = height * 2;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = 'colour-bar';
  canvas.dataset.testid = 'colour-bar';
  canvas.dataset.colormap = colormap;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(2, 2);
  ctx.fillStyle = '#1f1f1f';
  ctx.fillRect(0, 0, width, height);
  drawColourBar(ctx, 4, 6, width - 12, colormap, threshold);
  return canvas;
}
