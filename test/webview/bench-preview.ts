// Latency of the inline CAM previews on the CPU (onnxruntime-node + sharp, the hover's whole path:
// model load, decode + resize + normalise, inference, per-class normalisation, rendering the PNG strip).
// Models are real `export_onnx` exports of random-weight CAM nets made by the engine
// (test/unit/preview/make_export.py): the small synthetic-world net (small_cnn, OS4) and ResNet-50 (OS16) with
// its int8 preview model (models/onnx_int8.py, calibrated on the first 8 shared photos), in a temp folder.
// Photos: 500×375 copies of 8 other shared photos. For ResNet-50 each option is a run folder variant (fp32 or
// int8, input long side 512 or 384) measured in this one process: cold, warm median and p90, as ratios against
// the path before issue 11 (fp32 at 512), with the CAMs' agreement with that path's (test/support/camAgreement.ts);
// then raw inference under other onnxruntime session options. Prints figures; asserts nothing.
//   node test/build.mjs && node out/test/webview/bench-preview.js [--r50-dir DIR] [--warm N]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import {
  clearCamModelCache,
  computeCams,
  loadCamModel,
  readRgb,
  toInputTensor,
  type CamResult,
} from '../../extension/preview/camModel';
import { resizeMap } from '../../extension/preview/camRender';
import { hoverPreview } from '../../extension/preview/hoverContent';
import { findPreviewSource, type PreviewSource } from '../../extension/preview/previewRun';
import { camAgreement } from '../support/camAgreement';
import { enginePython, repoRoot, sharedDir } from '../support/paths';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const WARM = Number(arg('--warm') ?? 10);
const VOC =
  'aeroplane,bicycle,bird,boat,bottle,bus,car,cat,chair,cow,diningtable,dog,horse,motorbike,person,pottedplant,sheep,sofa,train,tvmonitor';

/** A temp folder with runs/preview-run/export/* for this backbone (reused when `dir` already has one). */
function makeExport(backbone: string, size: number, extra: string[], dir?: string): string {
  const out = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `wsss-bench-${backbone}-`));
  if (!fs.existsSync(path.join(out, 'runs/preview-run/export/cam_model.onnx'))) {
    const t = Date.now();
    execFileSync(
      enginePython(),
      [
        path.join(repoRoot, 'test/unit/preview/make_export.py'),
        out,
        '--backbone',
        backbone,
        '--size',
        String(size),
        '--classes',
        VOC,
        '--no-expected',
        ...extra,
      ],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' }, stdio: 'inherit' },
    );
    console.log(`  exported ${backbone} (input ${size}) in ${((Date.now() - t) / 1000).toFixed(1)} s -> ${out}`);
  }
  return out;
}

/** A copy of the run folder whose cam_model.json says `inputSize` and names the int8 model or not. */
function variant(runDir: string, name: string, inputSize: number, int8: boolean): string {
  const dir = path.join(path.dirname(runDir), name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'export'), { recursive: true });
  for (const f of ['run.json', 'config.json']) fs.copyFileSync(path.join(runDir, f), path.join(dir, f));
  for (const f of fs.readdirSync(path.join(runDir, 'export')).filter((x) => x.endsWith('.onnx'))) {
    fs.symlinkSync(path.join(runDir, 'export', f), path.join(dir, 'export', f));
  }
  const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'export/cam_model.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  meta.input_size = inputSize;
  if (!int8) delete meta.preview;
  fs.writeFileSync(path.join(dir, 'export/cam_model.json'), JSON.stringify(meta));
  return dir;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => sorted(xs)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]): number => sorted(xs)[Math.max(0, Math.ceil(xs.length * 0.9) - 1)];

interface Timing {
  cold: number;
  warm: number[];
  pre: number[];
  inf: number[];
}

async function timeHover(source: PreviewSource, photos: string[]): Promise<Timing> {
  await clearCamModelCache();
  const t0 = performance.now();
  const cold = await hoverPreview(photos[0], source);
  const coldMs = performance.now() - t0;
  if (cold.problem) throw new Error(cold.problem);
  const model = await loadCamModel(source.runDir!);
  const timing: Timing = { cold: coldMs, warm: [], pre: [], inf: [] };
  for (let i = 0; i < WARM; i++) {
    const photo = photos[(i + 1) % photos.length];
    const t = performance.now();
    const h = await hoverPreview(photo, source);
    timing.warm.push(performance.now() - t);
    if (h.problem) throw new Error(h.problem);
    const r = await computeCams(model, photo);
    timing.pre.push(r.timings.preprocessMs);
    timing.inf.push(r.timings.inferenceMs);
  }
  return timing;
}

/** The maps of `r` resized to `ref`'s map size and max-normalised again (only when the sizes differ). */
function onGrid(r: CamResult, ref: CamResult): Pick<CamResult, 'maps'> {
  if (r.mapWidth === ref.mapWidth && r.mapHeight === ref.mapHeight) return r;
  return {
    maps: r.maps.map((m) => {
      const up = resizeMap(m, r.mapWidth, r.mapHeight, ref.mapWidth, ref.mapHeight);
      const max = up.reduce((a, b) => Math.max(a, b), 0);
      return max > 0 ? up.map((v) => v / max) : up;
    }),
  };
}

async function benchSmall(dir: string, photos: string[]): Promise<void> {
  const source = await findPreviewSource({ runsDirectory: path.join(dir, 'runs'), workspaceFolders: [] });
  const t = await timeHover(source, photos);
  console.log(
    `small_cnn (synthetic world, OS4, fp32, unchanged): cold ${t.cold.toFixed(0)} ms, warm median ${median(t.warm).toFixed(0)} ms, p90 ${p90(t.warm).toFixed(0)} ms`,
  );
}

async function benchResnet(dir: string, photos: string[]): Promise<void> {
  const runDir = path.join(dir, 'runs/preview-run');
  if (!fs.existsSync(path.join(runDir, 'export/cam_model.int8.onnx')))
    throw new Error(`${runDir} has no int8 preview model: export again`);
  const variants = [
    { label: 'fp32, input 512 (before issue 11)', dir: variant(runDir, 'v-fp32-512', 512, false) },
    { label: 'int8, input 512 (the default now)', dir: variant(runDir, 'v-int8-512', 512, true) },
    { label: 'fp32, input 384', dir: variant(runDir, 'v-fp32-384', 384, false) },
    { label: 'int8, input 384', dir: variant(runDir, 'v-int8-384', 384, true) },
  ];
  const base = await findPreviewSource({ runsDirectory: path.join(dir, 'runs'), workspaceFolders: [] });
  const results: { label: string; t: Timing; cams: CamResult[] }[] = [];
  for (const v of variants) {
    const source = { ...base, runDir: v.dir };
    const t = await timeHover(source, photos);
    const model = await loadCamModel(v.dir);
    const cams: CamResult[] = [];
    for (const p of photos) cams.push(await computeCams(model, p));
    results.push({ label: v.label, t, cams });
  }
  const ref = results[0];
  const size = await sharp(photos[0]).metadata();
  console.log(
    `ResNet-50 (OS16), ${size.width}×${size.height} JPEGs; ${WARM} warm hovers each; agreement over ${photos.length} photos × 20 classes`,
  );
  for (const r of results) {
    const a = camAgreement(r.cams.map((c, i) => [ref.cams[i], onGrid(c, ref.cams[i])]));
    const w = median(r.t.warm);
    console.log(
      `  ${r.label.padEnd(36)} cold ${r.t.cold.toFixed(0).padStart(5)} ms (${(r.t.cold / ref.t.cold).toFixed(2)}x)  ` +
        `warm median ${w.toFixed(0).padStart(4)} ms (${(w / median(ref.t.warm)).toFixed(2)}x)  p90 ${p90(r.t.warm).toFixed(0).padStart(4)} ms (${(p90(r.t.warm) / p90(ref.t.warm)).toFixed(2)}x)  ` +
        `[decode+resize ${median(r.t.pre).toFixed(0)} ms, inference ${median(r.t.inf).toFixed(0)} ms]  ` +
        `IoU@0.15 ${a.meanIou.toFixed(3)} (min ${a.minIou.toFixed(2)}), |diff| mean ${a.meanAbsDiff.toFixed(3)} max ${a.maxAbsDiff.toFixed(2)}`,
    );
  }
  await sessionOptions(runDir, photos[0]);
}

/** Raw inference (one 512 input, warm median of 5) under other onnxruntime session options, per model. */
async function sessionOptions(runDir: string, photo: string): Promise<void> {
  const meta = (await loadCamModel(runDir)).meta;
  const img = await readRgb(photo, 512);
  const input = new ort.Tensor('float32', toInputTensor(img.rgb, img.inputWidth, img.inputHeight, meta), [
    1,
    3,
    img.inputHeight,
    img.inputWidth,
  ]);
  const noSpin = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  const options: [string, ort.InferenceSession.SessionOptions][] = [
    ['as shipped (all optimisations, default threads, no spinning)', { graphOptimizationLevel: 'all', extra: noSpin }],
    ['1 intra-op thread', { graphOptimizationLevel: 'all', intraOpNumThreads: 1, extra: noSpin }],
    ['graph optimisation "basic"', { graphOptimizationLevel: 'basic', extra: noSpin }],
    ['execution mode "parallel"', { graphOptimizationLevel: 'all', executionMode: 'parallel', extra: noSpin }],
    ['spinning allowed', { graphOptimizationLevel: 'all' }],
  ];
  console.log(
    `  session options, raw inference on ${img.inputWidth}×${img.inputHeight} (median of 5, ratio to "as shipped"):`,
  );
  for (const file of ['cam_model.onnx', 'cam_model.int8.onnx']) {
    let first = 0;
    const row: string[] = [];
    for (const [label, opts] of options) {
      const session = await ort.InferenceSession.create(path.join(runDir, 'export', file), {
        executionProviders: ['cpu'],
        ...opts,
      });
      await session.run({ [meta.input]: input });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await session.run({ [meta.input]: input });
        times.push(performance.now() - t);
      }
      await session.release();
      const m = median(times);
      first ||= m;
      row.push(`${label}: ${m.toFixed(0)} ms (${(m / first).toFixed(2)}x)`);
    }
    console.log(`    ${file}: ${row.join('; ')}`);
  }
}

/** 500×375 (or 375×500) JPEG copies of the photos, as VOC's typical image. */
async function vocSized(photos: string[]): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-bench-photos-'));
  return Promise.all(
    photos.map(async (p) => {
      const m = await sharp(p).metadata();
      const [w, h] = (m.width ?? 1) >= (m.height ?? 1) ? [500, 375] : [375, 500];
      const out = path.join(dir, path.basename(p));
      await sharp(p).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(out);
      return out;
    }),
  );
}

async function main(): Promise<void> {
  const photoDir = path.join(sharedDir(), 'data/photos/JPEGImages');
  const all = fs
    .readdirSync(photoDir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => path.join(photoDir, f));
  const photos = await vocSized(all.slice(8, 16)); // the first 8 calibrate the int8 model
  console.log(
    `CPU: ${os.cpus()[0]?.model} × ${os.cpus().length}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const made: string[] = [path.dirname(photos[0])];
  const small = makeExport('small_cnn', 128, []);
  made.push(small);
  await benchSmall(small, photos);
  const r50Dir = arg('--r50-dir');
  const r50 = makeExport('resnet50', 512, ['--int8', photoDir], r50Dir);
  if (!r50Dir) made.push(r50);
  await benchResnet(r50, photos);
  await clearCamModelCache();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  console.log(
    `load average after: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
