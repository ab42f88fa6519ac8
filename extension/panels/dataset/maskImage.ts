/**
 * Ground-truth masks for display: decode a VOC mask PNG to class indices (palette PNGs arrive from sharp
 * as RGB, mapped back through the VOC palette; grey PNGs are indices already), then colour them with the
 * palette, background transparent, as a PNG data: URI.
 */
import sharp from 'sharp';
import { IGNORE_INDEX, paletteColor } from '../../../common/classes';
import { toDataUri } from '../photoImage';

import type { ClassMask } from '../../../common/labelIou';

export type { ClassMask };

const paletteLookup = new Map<number, number>();
for (let i = 0; i < 256; i++) {
  const [r, g, b] = paletteColor(i);
  if (!paletteLookup.has((r << 16) | (g << 8) | b)) paletteLookup.set((r << 16) | (g << 8) | b, i);
}

/**
 * Read a mask PNG; throws naming the file when it cannot be decoded, uses colours outside the palette, or (with
 * `classCount`) is a greyscale PNG holding values that are not class indices (0, 1..classCount, 255).
 */
export async function readClassMask(file: string, classCount?: number): Promise<ClassMask> {
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  let grey: boolean;
  try {
    // sharp hands a greyscale PNG over as RGB too: the file's own colour space tells indices from colours.
    const meta = await sharp(file, { failOn: 'error' }).metadata();
    grey = meta.space === 'b-w' || (meta.channels ?? 3) <= 2;
    raw = await sharp(file, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`unreadable mask ${file}: ${(e as Error).message}`);
  }
  const { width, height, channels } = raw.info;
  const n = width * height;
  const data = new Uint8Array(n);
  if (grey || channels <= 2) {
    for (let p = 0; p < n; p++) data[p] = raw.data[p * channels];
    if (classCount !== undefined) checkIndices(file, data, classCount);
    return { width, height, data };
  }
  let unknown = 0;
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    const v = paletteLookup.get((raw.data[o] << 16) | (raw.data[o + 1] << 8) | raw.data[o + 2]);
    if (v === undefined) unknown++;
    data[p] = v ?? IGNORE_INDEX;
  }
  if (unknown > n / 2)
    throw new Error(
      `mask ${file} is a colour (RGB) image whose colours are mostly not the VOC palette's, so its pixels are not class indices`,
    );
  return { width, height, data };
}

/** A greyscale mask's values must be class indices: says which values are not. */
function checkIndices(file: string, data: Uint8Array, classCount: number): void {
  const seen = new Set(data);
  const bad = [...seen].filter((v) => v > classCount && v !== IGNORE_INDEX).sort((a, b) => a - b);
  if (bad.length === 0) return;
  throw new Error(
    `mask ${file} is a greyscale image with value${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).join(', ')}` +
      `${bad.length > 5 ? ', ...' : ''}, which ${bad.length > 1 ? 'are' : 'is'} not a class index ` +
      `(0 background, 1-${classCount} the ${classCount} classes, 255 ignore)`,
  );
}

/** Share of pixels of each foreground class (index 0-based), largest first. */
export function classFractions(mask: ClassMask): { index: number; fraction: number }[] {
  const counts = new Uint32Array(256);
  for (const v of mask.data) counts[v]++;
  const out: { index: number; fraction: number }[] = [];
  for (let v = 1; v < 255; v++) if (counts[v]) out.push({ index: v - 1, fraction: counts[v] / mask.data.length });
  return out.sort((a, b) => b.fraction - a.fraction);
}

/**
 * The mask in palette colours as a PNG data: URI: over a photo (default) background is transparent and the
 * ignore band half-transparent; `opaque` keeps VOC's own look (black background, cream ignore).
 */
export async function maskToPng(mask: ClassMask, opaque = false): Promise<string> {
  const rgba = Buffer.alloc(mask.width * mask.height * 4);
  const colours = Array.from({ length: 256 }, (_, i) => paletteColor(i));
  for (let p = 0; p < mask.data.length; p++) {
    const v = mask.data[p];
    if (opaque) {
      [rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2]] = colours[v];
      rgba[p * 4 + 3] = 255;
      continue;
    }
    if (v === 0) continue;
    const [r, g, b] = colours[v];
    rgba[p * 4] = r;
    rgba[p * 4 + 1] = g;
    rgba[p * 4 + 2] = b;
    rgba[p * 4 + 3] = v === IGNORE_INDEX ? 128 : 255;
  }
  const png = await sharp(rgba, { raw: { width: mask.width, height: mask.height, channels: 4 } })
    .png({ compressionLevel: 3 })
    .toBuffer();
  return toDataUri(png, 'image/png');
}
