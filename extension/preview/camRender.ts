/**
 * The hover's CAM preview as a PNG (sharp, extension host: a hover can only show an image): a class's
 * max-normalised CAM (METHOD §3.1) upsampled bilinearly to the photo, coloured with the colour maps the
 * webviews use (common/colormaps.ts) and blended over the photo; the top classes side by side, each labelled
 * with its name and score by an SVG text overlay. The CAM Preview editor draws in the browser instead
 * (webview/shared/camRendering.ts). No `vscode` import.
 */
import sharp from 'sharp';
import type { ColormapName } from '../../protocol/webview/cam';
import { colormapTable } from '../../common/colormaps';
import type { CamResult } from './camModel';

export interface OverlayOptions {
  colormap?: ColormapName;
  /** Heat-map weight in the blend, 0..1. */
  opacity?: number;
}

/** A map of mapWidth × mapHeight resampled to width × height (bilinear, pixel centres aligned like torch align_corners=False). */
export function resizeMap(
  map: Float32Array,
  mapWidth: number,
  mapHeight: number,
  width: number,
  height: number,
): Float32Array {
  const out = new Float32Array(width * height);
  const sx = mapWidth / width;
  const sy = mapHeight / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), mapHeight - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, mapHeight - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), mapWidth - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, mapWidth - 1);
      const wx = fx - x0;
      const top = map[y0 * mapWidth + x0] * (1 - wx) + map[y0 * mapWidth + x1] * wx;
      const bottom = map[y1 * mapWidth + x0] * (1 - wx) + map[y1 * mapWidth + x1] * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Size of a photo of width × height scaled so its long side is at most `maxSide`. */
export function fitSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The model's input photo resized to width × height, packed RGB. */
async function photoRgb(result: CamResult, width: number, height: number): Promise<Buffer> {
  const src = { rgb: result.rgb, width: result.inputWidth, height: result.inputHeight };
  if (width === src.width && height === src.height) return src.rgb;
  return sharp(src.rgb, { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
}

/** Blend class `k`'s coloured CAM over `photo` (width × height RGB), in place into a new buffer. */
function blend(
  result: CamResult,
  k: number,
  photo: Buffer,
  width: number,
  height: number,
  options: OverlayOptions,
): Buffer {
  const table = colormapTable(options.colormap ?? 'jet');
  const alpha = Math.min(1, Math.max(0, options.opacity ?? 0.5));
  const map = resizeMap(result.maps[k], result.mapWidth, result.mapHeight, width, height);
  const out = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = map[i];
    const t = (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255)) * 3;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(photo[i * 3 + c] * (1 - alpha) + table[t + c] * alpha);
  }
  return out;
}

const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** A label per tile: a dark band at the tile's bottom with "name score". */
function labelsSvg(labels: string[], tileWidth: number, tileHeight: number, gap: number): Buffer {
  const fontSize = Math.max(9, Math.min(13, Math.round(tileHeight / 9)));
  const band = fontSize + 6;
  const parts = labels.map((label, i) => {
    const x = i * (tileWidth + gap);
    return (
      `<rect x="${x}" y="${tileHeight - band}" width="${tileWidth}" height="${band}" fill="#000" fill-opacity="0.6"/>` +
      `<text x="${x + 4}" y="${tileHeight - 5}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#fff">${escapeXml(label)}</text>`
    );
  });
  const width = labels.length * tileWidth + (labels.length - 1) * gap;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${tileHeight}">${parts.join('')}</svg>`,
  );
}

/**
 * The hover image: the given classes' overlays side by side (long side of each tile at most `tileSide`),
 * each labelled "class score". A palette PNG keeps it small enough for a hover's data: URI.
 */
export async function renderHoverStrip(
  result: CamResult,
  classes: number[],
  labels: string[],
  tileSide = 160,
  options: OverlayOptions = {},
): Promise<{ png: Buffer; width: number; height: number }> {
  const { width: tw, height: th } = fitSize(result.inputWidth, result.inputHeight, tileSide);
  const gap = 4;
  const count = Math.max(1, classes.length);
  const width = count * tw + (count - 1) * gap;
  const photo = await photoRgb(result, tw, th);
  const tiles = classes.length ? classes.map((k) => blend(result, k, photo, tw, th, options)) : [photo];
  const canvas = Buffer.alloc(width * th * 3, 0x20);
  tiles.forEach((tile, i) => {
    for (let y = 0; y < th; y++) tile.copy(canvas, (y * width + i * (tw + gap)) * 3, y * tw * 3, (y + 1) * tw * 3);
  });
  const png = await sharp(canvas, { raw: { width, height: th, channels: 3 } })
    .composite([{ input: labelsSvg(labels.slice(0, count), tw, th, gap), top: 0, left: 0 }])
    .png({ palette: true, quality: 90, effort: 1, compressionLevel: 6 }) // effort 1: ~15 ms instead of ~140 ms for a 3-tile strip
    .toBuffer();
  return { png, width, height: th };
}
