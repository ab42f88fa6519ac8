/**
 * One image's CAMs from a run: `<run>/cams/<set>/<id>.npy`, np.save of {"keys": int64[K] (class indices
 * 0..C-1, no background), "cam": float16 K×h4×w4, "high_res": float16 K×H×W} (docs/ARCHITECTURE.md,
 * METHOD §3.1; engine/wsss_engine/data/cam_files.py). A plain K×H×W array with a sidecar-free layout is not
 * enough to know the classes, so it is refused with a message; a dict without high_res (older runs) falls
 * back to the stride-4 `cam`.
 */
import * as fs from 'node:fs/promises';
import { isNdArray, parseNpy, type NdArray } from './npyFile';

export interface CamRecord {
  /** Foreground class indices, one per map. */
  keys: number[];
  /** K maps of height × width, values 0..1 (max-normalised per class). */
  maps: Float32Array[];
  width: number;
  height: number;
  /** True when only the stride-4 `cam` was there (shown upsampled, with a note). */
  lowResOnly: boolean;
}

/** Why a CAM file cannot be shown: names the file and what to do. */
export class CamFileError extends Error {}

export async function readCamFile(file: string): Promise<CamRecord> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    throw new CamFileError(`No CAM file ${file}. Run the infer_cams stage for this image list, or pick another image.`);
  }
  let value: unknown;
  try {
    value = parseNpy(bytes);
  } catch (e) {
    throw new CamFileError(
      `Cannot read CAM file ${file}: ${(e as Error).message}. Delete it and resume the infer_cams stage to rewrite it.`,
    );
  }
  if (isNdArray(value) || typeof value !== 'object' || value === null) {
    throw new CamFileError(
      `CAM file ${file} holds a plain array, not the {keys, cam, high_res} record of this version: the run is from an older or foreign tool. Re-run its infer_cams stage with this engine.`,
    );
  }
  const record = value as Record<string, unknown>;
  const keys = record.keys;
  const map = isNdArray(record.high_res) ? record.high_res : isNdArray(record.cam) ? record.cam : undefined;
  if (!isNdArray(keys) || !map) {
    throw new CamFileError(
      `CAM file ${file} has fields ${Object.keys(record).join(', ') || 'none'}; expected keys, cam, high_res. The run is from an older engine: re-run its infer_cams stage.`,
    );
  }
  return split(Array.from(keys.data), map, !isNdArray(record.high_res), file);
}

function split(keys: number[], arr: NdArray, lowResOnly: boolean, file: string): CamRecord {
  const shape = arr.shape.length === 2 ? [1, ...arr.shape] : arr.shape;
  if (shape.length !== 3 || shape[0] !== keys.length) {
    throw new CamFileError(
      `CAM file ${file}: maps of shape (${arr.shape.join(', ')}) do not match ${keys.length} class key(s).`,
    );
  }
  const [k, height, width] = shape;
  const plane = height * width;
  const maps: Float32Array[] = [];
  for (let i = 0; i < k; i++) {
    const m = new Float32Array(plane);
    if (arr.fortranOrder) {
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) m[y * width + x] = arr.data[i + k * (y + height * x)];
    } else {
      for (let p = 0; p < plane; p++) m[p] = arr.data[i * plane + p];
    }
    maps.push(m);
  }
  return { keys, maps, width, height, lowResOnly };
}
