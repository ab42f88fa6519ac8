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

/** Read a mask PNG; throws naming the file when it cannot be decoded or uses colours outside the palette. */
export async function readClassMask(file: string): Promise<ClassMask> {
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    raw = await sharp(file, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new Error(`unreadable mask ${file}: ${(e as Error).message}`);
  }
  const { width, height, channels } = raw.info;
  const n = width * height;
  const data = new Uint8Array(n);
  if (channels <= 2) {
    for (let p = 0; p < n; p++) data[p] = raw.data[p * channels];
    return { width, height, data };
  }
  let unknown = 0;
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    const v = paletteLookup.get((raw.data[o] << 16) | (raw.data[o + 1] << 8) | raw.data[o + 2]);
    if (v === undefined) unknown++;
    data[p] = v ?? IGNORE_INDEX;
  }
  if (unknown > n / 2) throw new Error(`mask ${file} is a colour image, not VOC class indices`);
  return { width, height, data };
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
