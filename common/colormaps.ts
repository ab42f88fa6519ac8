/**
 * Colour maps for CAM heat maps as 256-entry RGB lookup tables: jet (the CAM papers' figures), and viridis
 * and inferno (perceptually uniform; degree-6 polynomial fits of matplotlib's maps).
 */
import type { ColormapName } from '../protocol/webview/cam';

type Vec3 = [number, number, number];

// Polynomial coefficients c0..c6 per channel (fits of matplotlib's viridis / inferno, max error < 1%).
const POLY: Record<'viridis' | 'inferno', Vec3[]> = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
  inferno: [
    [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
    [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
    [11.60249308247187, -3.972853965665698, -15.9423941062914],
    [-41.70399613139459, 17.43639888205313, 44.35414519872813],
    [77.162935699427, -33.40235894210092, -81.80730925738993],
    [-71.31942824499214, 32.62606426397723, 73.20951985803202],
    [25.13112622477341, -12.24266895238567, -23.07032500287172],
  ],
};

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

function colour(name: ColormapName, t: number): Vec3 {
  if (name === 'jet')
    return [clamp01(1.5 - Math.abs(4 * t - 3)), clamp01(1.5 - Math.abs(4 * t - 2)), clamp01(1.5 - Math.abs(4 * t - 1))];
  const c = POLY[name];
  const out: Vec3 = [0, 0, 0];
  for (let ch = 0; ch < 3; ch++) {
    let v = 0;
    for (let i = 6; i >= 0; i--) v = v * t + c[i][ch]; // Horner
    out[ch] = clamp01(v);
  }
  return out;
}

const tables = new Map<ColormapName, Uint8ClampedArray>();

/** 256 × RGB bytes for a colour map (cached). */
export function colormapTable(name: ColormapName): Uint8ClampedArray {
  let t = tables.get(name);
  if (!t) {
    t = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = colour(name, i / 255);
      t[i * 3] = Math.round(r * 255);
      t[i * 3 + 1] = Math.round(g * 255);
      t[i * 3 + 2] = Math.round(b * 255);
    }
    tables.set(name, t);
  }
  return t;
}

export const COLORMAPS: ColormapName[] = ['jet', 'viridis', 'inferno'];
