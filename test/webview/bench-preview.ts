// Latency of the inline CAM previews on the CPU (onnxruntime-node + sharp, the hover's whole path:
// model load, decode + resize + normalise, inference, per-class normalisation, rendering the PNG strip).
// Models are real `export_onnx` exports of random-weight CAM nets made by the engine
// (test/unit/preview/make_export.py): the small synthetic-world net (small_cnn, OS4) and ResNet-50 (OS16),
// in a temp folder. Photos: the shared real photos. Prints figures; asserts nothing.
//   node test/build.mjs && node out/test/webview/bench-preview.js [--r50-dir DIR] [--warm N]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clearCamModelCache, computeCams, loadCamModel } from '../../extension/preview/camModel';
import { hoverPreview } from '../../extension/preview/hoverContent';
import { findPreviewSource } from '../../extension/preview/previewRun';
import { enginePython, repoRoot, sharedDir } from '../support/paths';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const WARM = Number(arg('--warm') ?? 5);
const VOC = 'aeroplane,bicycle,bird,boat,bottle,bus,car,cat,chair,cow,diningtable,dog,horse,motorbike,person,pottedplant,sheep,sofa,train,tvmonitor';

/** A temp folder with runs/preview-run/export/* for this backbone (reused when `dir` already has one). */
function makeExport(backbone: string, size: number, dir?: string): string {
  const out = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `wsss-bench-${backbone}-`));
  if (!fs.existsSync(path.join(out, 'runs/preview-run/export/cam_model.onnx'))) {
    const t = Date.now();
    execFileSync(enginePython(), [path.join(repoRoot, 'test/unit/preview/make_export.py'), out, '--backbone', backbone, '--size', String(size),
      '--classes', VOC, '--no-expected'], { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' }, stdio: 'inherit' });
    console.log(`  exported ${backbone} (input ${size}) in ${((Date.now() - t) / 1000).toFixed(1)} s -> ${out}`);
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(label: string, dir: string, photos: string[]): Promise<void> {
  const runsDirectory = path.join(dir, 'runs');
  const source = await findPreviewSource({ runsDirectory, workspaceFolders: [] });
  const onnx = path.join(source.runDir!, 'export/cam_model.onnx');
  await clearCamModelCache();
  const t0 = performance.now();
  const cold = await hoverPreview(photos[0], source);
  const coldMs = performance.now() - t0;
  if (cold.problem) throw new Error(cold.problem);
  const model = await loadCamModel(source.runDir!);
  const warm: number[] = [];
  const parts: { pre: number; inf: number }[] = [];
  for (let i = 0; i < WARM; i++) {
    const photo = photos[(i + 1) % photos.length];
    const t = performance.now();
    const h = await hoverPreview(photo, source);
    warm.push(performance.now() - t);
    if (h.problem) throw new Error(h.problem);
    const r = await computeCams(model, photo);
    parts.push(r.timings.preprocessMs !== undefined ? { pre: r.timings.preprocessMs, inf: r.timings.inferenceMs } : { pre: 0, inf: 0 });
  }
  const w = median(warm);
  console.log(`${label}: ONNX ${(fs.statSync(onnx).size / 2 ** 20).toFixed(1)} MiB, input long side ${model.meta.inputSize}, ${model.meta.classes.length} classes`);
  console.log(`  cold (session create ${model.loadMs.toFixed(0)} ms + first preview): ${coldMs.toFixed(0)} ms`);
  console.log(`  warm preview, median of ${WARM}: ${w.toFixed(0)} ms (min ${Math.min(...warm).toFixed(0)}, max ${Math.max(...warm).toFixed(0)}); `
    + `preprocess ${median(parts.map((p) => p.pre)).toFixed(0)} ms, inference ${median(parts.map((p) => p.inf)).toFixed(0)} ms; hover PNG ${cold.pngBytes} B`);
  console.log(`  cold / warm = ${(coldMs / w).toFixed(1)}x`);
}

async function main(): Promise<void> {
  const photoDir = path.join(sharedDir(), 'data/photos/JPEGImages');
  const photos = fs.readdirSync(photoDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 8).map((f) => path.join(photoDir, f));
  console.log(`CPU: ${os.cpus()[0]?.model} × ${os.cpus().length}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const made: string[] = [];
  const small = makeExport('small_cnn', 128);
  made.push(small);
  await bench('small_cnn (synthetic world, OS4)', small, photos);
  const r50Dir = arg('--r50-dir');
  const r50 = makeExport('resnet50', 512, r50Dir);
  if (!r50Dir) made.push(r50);
  await bench('ResNet-50 (OS16)', r50, photos);
  await clearCamModelCache();
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
