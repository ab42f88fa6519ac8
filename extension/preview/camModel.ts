/**
 * CAMs of one image from a run's exported ONNX model (<run>/export/cam_model.onnx + cam_model.json, written
 * by the engine's `export_onnx` stage; docs/ARCHITECTURE.md "Run folder"), computed in the extension host
 * with onnxruntime-node on the CPU. Preprocessing follows the export's metadata: long side resized to the
 * suggested input size, RGB * pixel_scale, (x - mean) / std, Float32 N×3×H×W. The model gives ReLU(W·Z)
 * (METHOD §3.1, single scale, no flip); each class map is divided by its own max + 1e-5 as in §3.1.
 * When cam_model.json's "preview" names an int8 copy (export_onnx's preview_int8, engine models/onnx_int8.py)
 * the session runs that: same input size, ~5-10x faster on a CPU, CAMs that agree with the fp32 ones within
 * the export's recorded agreement (test/unit/preview/camPreviewInt8.test.ts states the tolerance).
 * No `vscode` import: unit tests run this in plain Node.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

/** Per-class max normalisation epsilon (METHOD §3.1; the engine's NORM_EPS). */
export const NORM_EPS = 1e-5;

/** Why a preview cannot be made; `message` names the run or file and what to do. */
export class PreviewError extends Error {
  override readonly name = 'PreviewError';
  constructor(
    readonly kind: 'noExport' | 'badModel' | 'badImage' | 'mismatch' | 'noRun',
    message: string,
  ) {
    super(message);
  }
}

/** export/cam_model.json, the fields previews use. */
export interface CamModelMeta {
  classes: string[];
  input: string;
  output: string;
  mean: [number, number, number];
  std: [number, number, number];
  pixelScale: number;
  stride: number;
  /** Suggested long side of the input, px. */
  inputSize: number;
  synthetic: boolean;
  /** export/<file> of the faster preview model (export_onnx's int8 copy, "preview" in cam_model.json), if any. */
  previewFile?: string;
}

export interface LoadedCamModel {
  runDir: string;
  /** The file the session runs: the int8 preview model when the export has one, else cam_model.onnx. */
  onnxPath: string;
  precision: 'int8' | 'fp32';
  meta: CamModelMeta;
  session: ort.InferenceSession;
  /** ms spent creating the session (the cold part of a preview). */
  loadMs: number;
}

/** One image's CAMs and the resized photo they belong to. */
export interface CamResult {
  file: string;
  classes: string[];
  /** Original image size. */
  width: number;
  height: number;
  /** The resized RGB photo given to the model (3 bytes per pixel), inputWidth × inputHeight. */
  rgb: Buffer;
  inputWidth: number;
  inputHeight: number;
  /** CAM map size (ceil(input / stride)). */
  mapWidth: number;
  mapHeight: number;
  /** Per class, max-normalised ReLU CAM in [0, 1], row-major mapWidth × mapHeight. */
  maps: Float32Array[];
  /** Per class, the raw (unnormalised) CAM max and mean: the scores shown beside the preview. */
  peak: number[];
  mean: number[];
  /** ms: preprocessing (decode + resize + normalise) and the ONNX run. */
  timings: { preprocessMs: number; inferenceMs: number };
}

export const EXPORT_ONNX = path.join('export', 'cam_model.onnx');
export const EXPORT_META = path.join('export', 'cam_model.json');

const cache = new Map<string, { stamp: string; model: Promise<LoadedCamModel> }>();

/** The run's model, loaded once per run folder and file modification time (a re-export reloads it): the
 * export's int8 preview model when it has one (~5-10x faster on a CPU, docs/BENCHMARKS.md), unless
 * `fullPrecision` asks for cam_model.onnx itself. */
export async function loadCamModel(runDir: string, options: { fullPrecision?: boolean } = {}): Promise<LoadedCamModel> {
  const onnxPath = path.join(runDir, EXPORT_ONNX);
  const metaPath = path.join(runDir, EXPORT_META);
  const [onnxStat, metaStat] = await Promise.all([
    fs.stat(onnxPath).catch(() => null),
    fs.stat(metaPath).catch(() => null),
  ]);
  if (!onnxStat || !metaStat) {
    throw new PreviewError(
      'noExport',
      `Run ${path.basename(runDir)} (${runDir}) has no exported model ${!onnxStat ? onnxPath : metaPath}: run its export_onnx stage to make CAM previews.`,
    );
  }
  const stamp = `${onnxStat.mtimeMs}:${onnxStat.size}:${metaStat.mtimeMs}`;
  const key = options.fullPrecision ? `${runDir}\0fp32` : runDir;
  const cached = cache.get(key);
  if (cached && cached.stamp === stamp) return cached.model;
  const model = createModel(runDir, onnxPath, metaPath, options.fullPrecision === true);
  cache.set(key, { stamp, model });
  model.catch(() => {
    if (cache.get(key)?.model === model) cache.delete(key); // retry after a failure
  });
  const previous = cached?.model;
  if (previous) void previous.then((m) => m.session.release()).catch(() => undefined);
  return model;
}

/** Forget every cached model (tests measure cold loads with this). */
export async function clearCamModelCache(): Promise<void> {
  const models = [...cache.values()].map((c) => c.model);
  cache.clear();
  for (const m of models) await m.then((x) => x.session.release()).catch(() => undefined);
}

async function createModel(
  runDir: string,
  fp32Path: string,
  metaPath: string,
  fullPrecision: boolean,
): Promise<LoadedCamModel> {
  const meta = parseMeta(await fs.readFile(metaPath, 'utf8').catch(() => ''), metaPath);
  const previewPath =
    meta.previewFile && !fullPrecision ? path.join(path.dirname(fp32Path), meta.previewFile) : undefined;
  const usePreview = previewPath !== undefined && (await fs.stat(previewPath).catch(() => null)) !== null;
  const onnxPath = usePreview ? previewPath : fp32Path;
  const start = performance.now();
  let session: ort.InferenceSession;
  try {
    // No spinning: idle ORT worker threads would otherwise busy-wait and slow the host (and sharp) after each run.
    session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (e) {
    throw new PreviewError(
      'badModel',
      `Cannot load the ONNX model ${onnxPath}: ${firstLine(e)}. Re-run the run's export_onnx stage.`,
    );
  }
  const loadMs = performance.now() - start;
  if (!session.inputNames.includes(meta.input) || !session.outputNames.includes(meta.output)) {
    await session.release();
    throw new PreviewError(
      'mismatch',
      `The ONNX model ${onnxPath} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], but ${metaPath} names "${meta.input}" -> "${meta.output}": re-run export_onnx.`,
    );
  }
  return { runDir, onnxPath, precision: usePreview ? 'int8' : 'fp32', meta, session, loadMs };
}

function parseMeta(text: string, file: string): CamModelMeta {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new PreviewError('badModel', `Cannot read ${file}: not JSON. Re-run the run's export_onnx stage.`);
  }
  const triple = (v: unknown, d: number[]): [number, number, number] =>
    (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? v : d) as [number, number, number];
  const classes = raw.classes;
  if (!Array.isArray(classes) || !classes.length || !classes.every((c) => typeof c === 'string')) {
    throw new PreviewError('badModel', `${file} has no "classes" list: re-run the run's export_onnx stage.`);
  }
  return {
    classes,
    input: typeof raw.input === 'string' ? raw.input : 'image',
    output: typeof raw.output === 'string' ? raw.output : 'cams',
    mean: triple(raw.mean, [0.485, 0.456, 0.406]),
    std: triple(raw.std, [0.229, 0.224, 0.225]),
    pixelScale: typeof raw.pixel_scale === 'number' ? raw.pixel_scale : 1 / 255,
    stride: typeof raw.stride === 'number' ? raw.stride : 1,
    inputSize: typeof raw.input_size === 'number' && raw.input_size > 0 ? raw.input_size : 512,
    synthetic: raw.synthetic === true,
    previewFile: previewFileName(raw.preview),
  };
}

/** cam_model.json's "preview": {file, precision, agreement}; only a plain file name beside the export. */
function previewFileName(preview: unknown): string | undefined {
  const file = (preview as { file?: unknown } | null)?.file;
  return typeof file === 'string' && /^[\w.-]+\.onnx$/.test(file) ? file : undefined;
}

/** The image's long side resized to `size` (no resampling when it already is), as packed RGB bytes. */
export async function readRgb(
  file: string,
  size: number,
): Promise<{ rgb: Buffer; width: number; height: number; inputWidth: number; inputHeight: number }> {
  try {
    const img = sharp(file, { failOn: 'error' });
    const meta = await img.metadata();
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (!width || !height) throw new Error('no image size');
    const scale = size / Math.max(width, height);
    const pipeline = img.removeAlpha().toColourspace('srgb');
    if (Math.max(width, height) !== size) {
      pipeline.resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), {
        fit: 'fill',
        kernel: 'linear',
      });
    }
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to RGB`);
    return { rgb: data, width, height, inputWidth: info.width, inputHeight: info.height };
  } catch (e) {
    throw new PreviewError('badImage', `Cannot read the image ${file}: ${firstLine(e)}.`);
  }
}

/** RGB bytes as the model's Float32 1×3×H×W input: x * pixel_scale, then (x - mean) / std per channel. */
export function toInputTensor(rgb: Buffer, width: number, height: number, meta: CamModelMeta): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const scale = meta.pixelScale / meta.std[c];
    const shift = meta.mean[c] / meta.std[c];
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = rgb[i * 3 + c] * scale - shift;
  }
  return out;
}

/** Every class's CAM of `file` with the run's model. */
export async function computeCams(model: LoadedCamModel, file: string): Promise<CamResult> {
  const t0 = performance.now();
  const img = await readRgb(file, model.meta.inputSize);
  const input = new ort.Tensor('float32', toInputTensor(img.rgb, img.inputWidth, img.inputHeight, model.meta), [
    1,
    3,
    img.inputHeight,
    img.inputWidth,
  ]);
  const t1 = performance.now();
  let output: ort.Tensor;
  try {
    const results = await model.session.run({ [model.meta.input]: input });
    output = results[model.meta.output];
  } catch (e) {
    throw new PreviewError(
      'mismatch',
      `The ONNX model of run ${path.basename(model.runDir)} cannot take ${path.basename(file)} as a 1×3×${img.inputHeight}×${img.inputWidth} image: ${firstLine(e)}.`,
    );
  }
  const t2 = performance.now();
  const dims = output.dims;
  const classes = model.meta.classes;
  if (dims.length !== 4 || dims[0] !== 1 || dims[1] !== classes.length || output.type !== 'float32') {
    throw new PreviewError(
      'mismatch',
      `The ONNX model of run ${path.basename(model.runDir)} gave ${output.type} [${dims.join('×')}], but its cam_model.json lists ${classes.length} classes (expected float32 1×${classes.length}×h×w): re-run export_onnx.`,
    );
  }
  const [mapHeight, mapWidth] = [dims[2], dims[3]];
  const data = output.data as Float32Array;
  const plane = mapWidth * mapHeight;
  const maps: Float32Array[] = [];
  const peak: number[] = [];
  const mean: number[] = [];
  for (let k = 0; k < classes.length; k++) {
    const raw = data.subarray(k * plane, (k + 1) * plane);
    let max = 0;
    let sum = 0;
    for (let i = 0; i < plane; i++) {
      const v = raw[i] > 0 ? raw[i] : 0; // ReLU is in the model; kept here for older exports
      sum += v;
      if (v > max) max = v;
    }
    const map = new Float32Array(plane);
    const inv = 1 / (max + NORM_EPS);
    for (let i = 0; i < plane; i++) map[i] = raw[i] > 0 ? raw[i] * inv : 0;
    maps.push(map);
    peak.push(max);
    mean.push(sum / plane);
  }
  return {
    file,
    classes,
    width: img.width,
    height: img.height,
    rgb: img.rgb,
    inputWidth: img.inputWidth,
    inputHeight: img.inputHeight,
    mapWidth,
    mapHeight,
    maps,
    peak,
    mean,
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1 },
  };
}

/** Class indices ranked by mean activation (≈ the GAP logit before ReLU), best first. */
export function rankClasses(result: Pick<CamResult, 'mean'>, count = result.mean.length): number[] {
  return result.mean
    .map((_, i) => i)
    .sort((a, b) => result.mean[b] - result.mean[a])
    .slice(0, count);
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]
    .replace(/\.$/, '');
}
