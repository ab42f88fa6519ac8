/**
 * Per-image agreement of a label map with the ground truth, shared by the host (the chain strip's masks/
 * maps, extension/panels/cam/chainMaps.ts) and the CAM panel's webview (its pseudo mask at the slider's
 * threshold), so both count the same way.
 */
import { IGNORE_INDEX } from './classes';

/** A mask as class indices (0 background, 1..C, 255 ignore). */
export interface ClassMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Agreement of a label map with the ground truth on one image: mIoU over the classes (background included)
 * present in either, counting only pixels both label (GT 255 = object border; a map's 255 = ignore, e.g. the
 * uncertain band of IR labels), and the share of the GT's labelled pixels the map labels. Null when the map
 * labels none of them.
 */
export function labelMapIou(pred: ClassMask, gt: ClassMask): { miou: number | null; labelled: number } {
  if (pred.width !== gt.width || pred.height !== gt.height) {
    throw new Error(`the label map is ${pred.width}x${pred.height} but the ground truth is ${gt.width}x${gt.height}`);
  }
  const inter = new Float64Array(256),
    union = new Float64Array(256);
  const gtCount = new Float64Array(256),
    predCount = new Float64Array(256);
  let valid = 0,
    both = 0;
  for (let p = 0; p < gt.data.length; p++) {
    const g = gt.data[p],
      q = pred.data[p];
    if (g === IGNORE_INDEX) continue;
    valid++;
    if (q === IGNORE_INDEX) continue;
    both++;
    gtCount[g]++;
    predCount[q]++;
    if (g === q) inter[g]++;
  }
  let sum = 0,
    n = 0;
  for (let c = 0; c < 255; c++) {
    union[c] = gtCount[c] + predCount[c] - inter[c];
    if (union[c] > 0) {
      sum += inter[c] / union[c];
      n++;
    }
  }
  return { miou: n ? sum / n : null, labelled: valid ? both / valid : 0 };
}
