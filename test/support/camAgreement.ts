// How closely two previews' CAMs agree (the int8 preview model against the fp32 export, issue 11), measured
// as the engine's models/onnx_int8.py `cam_agreement` does: per class, the IoU of (normalised CAM > 0.15)
// (two empty masks count 1) and the absolute difference of the normalised maps. Same-size maps only.
import type { CamResult } from '../../extension/preview/camModel';

export const AGREEMENT_THRESHOLD = 0.15;

export interface Agreement {
  meanIou: number;
  minIou: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  maps: number;
}

export function camAgreement(
  pairs: [Pick<CamResult, 'maps'>, Pick<CamResult, 'maps'>][],
  threshold = AGREEMENT_THRESHOLD,
): Agreement {
  const ious: number[] = [];
  let maxAbsDiff = 0;
  let sumAbs = 0;
  let count = 0;
  for (const [reference, candidate] of pairs) {
    if (reference.maps.length !== candidate.maps.length) throw new Error('different class counts');
    reference.maps.forEach((r, k) => {
      const c = candidate.maps[k];
      if (r.length !== c.length) throw new Error(`class ${k}: maps of ${r.length} and ${c.length} values`);
      let inter = 0;
      let union = 0;
      for (let i = 0; i < r.length; i++) {
        const a = r[i] > threshold;
        const b = c[i] > threshold;
        if (a && b) inter++;
        if (a || b) union++;
        const d = Math.abs(r[i] - c[i]);
        sumAbs += d;
        if (d > maxAbsDiff) maxAbsDiff = d;
      }
      count += r.length;
      ious.push(union ? inter / union : 1);
    });
  }
  return {
    meanIou: ious.reduce((s, x) => s + x, 0) / ious.length,
    minIou: Math.min(...ious),
    maxAbsDiff,
    meanAbsDiff: sumAbs / count,
    maps: ious.length,
  };
}
