/**
 * The browser's CAM renderer, shared by the CAM panel (webview/cam/) and the CAM Preview editor
 * (webview/campreview/): the heat map of one class through a colour map, and the pseudo mask — every
 * pixel takes the class with the highest CAM, or background when no CAM beats the background threshold
 * (IRN's `np.pad(cams, ((1, 0), ...), constant_values=threshold)` + argmax; METHOD §3.1, §6).
 */
import { paletteColor } from '../../common/classes';
import type { ClassCam } from '../../protocol/webview/cam';
import type { ColormapName } from '../../protocol/webview/cam';
import { colormapTable } from '../../common/colormaps';

/** A class's CAM decoded from base64 bytes (0..255). */
export interface DecodedCam {
  index: number;
  name: string;
  word: string | null;
  map: Uint8Array;
}

/** The bytes of a base64 CAM map (protocol/webview/cam.ts ClassCam.map). */
export function decodeMap(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

export function decodeCams(cams: ClassCam[]): DecodedCam[] {
  return cams.map((c) => ({ index: c.index, name: c.name, word: c.word, map: decodeMap(c.map) }));
}

/** Draw one CAM (or nothing) into a canvas of the map's size, laid over the photo at `opacity` (CSS, no redraw). */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  map: Uint8Array | null,
  width: number,
  height: number,
  colormap: ColormapName,
  opacity: number,
): void {
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (map) ctx.putImageData(heatmapPixels(map, width, height, colormap), 0, 0);
  canvas.style.opacity = String(opacity);
}

/** Heat map of one CAM as RGBA (opaque; opacity is the canvas's). */
export function heatmapPixels(map: Uint8Array, width: number, height: number, colormap: ColormapName): ImageData {
  const lut = colormapTable(colormap);
  const img = new ImageData(width, height);
  const d = img.data;
  for (let p = 0, n = width * height; p < n; p++) {
    const v = map[p] * 3;
    d[p * 4] = lut[v];
    d[p * 4 + 1] = lut[v + 1];
    d[p * 4 + 2] = lut[v + 2];
    d[p * 4 + 3] = 255;
  }
  return img;
}

/**
 * Pseudo mask at `threshold` (0..1) in palette colours, background transparent; also pixel counts per class
 * and the mask as VOC label values (0 background, class index + 1), for scoring against the GT.
 */
export function pseudoMaskPixels(
  cams: DecodedCam[],
  width: number,
  height: number,
  threshold: number,
): { image: ImageData; counts: Map<number, number>; labels: Uint8Array } {
  const img = new ImageData(width, height);
  const labels = new Uint8Array(width * height);
  const d = img.data;
  const bg = threshold * 255;
  const colours = cams.map((c) => paletteColor(c.index + 1));
  const counts = new Map<number, number>();
  const perClass = new Uint32Array(cams.length);
  for (let p = 0, n = width * height; p < n; p++) {
    let best = bg;
    let k = -1;
    for (let i = 0; i < cams.length; i++) {
      const v = cams[i].map[p];
      if (v > best) {
        best = v;
        k = i;
      }
    }
    if (k < 0) continue;
    perClass[k]++;
    labels[p] = cams[k].index + 1;
    const [r, g, b] = colours[k];
    d[p * 4] = r;
    d[p * 4 + 1] = g;
    d[p * 4 + 2] = b;
    d[p * 4 + 3] = 255;
  }
  cams.forEach((c, i) => counts.set(c.index, perClass[i]));
  return { image: img, counts, labels };
}
