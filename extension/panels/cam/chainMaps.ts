/**
 * The label maps of one image along a run's chain (docs/ARCHITECTURE.md "Run folder"): IR labels, random-walk
 * pseudo masks and segmenter outputs (masks/<stage-id>/<id>.png, palette PNGs, 255 = ignore) and the ground
 * truth from the run's dataset, each coloured in the VOC palette, with its per-image IoU against the GT.
 */
import * as fs from 'node:fs/promises';
import { kindOfStageType } from '../../../common/chain';
import type { ChainMaps, LabelMapView } from '../../../protocol/webview/cam';
import { gtMaskFileOf } from '../../dataset/vocLayout';
import { listMaskSets, maskFileOf } from '../../runs/runFolder';
import { labelMapIou, type ClassMask } from '../../../common/labelIou';
import { maskToPng, readClassMask } from '../dataset/maskImage';
import type { CamRun } from './camRuns';

function values(mask: ClassMask): { value: number; fraction: number }[] {
  const counts = new Uint32Array(256);
  for (const v of mask.data) counts[v]++;
  const out: { value: number; fraction: number }[] = [];
  counts.forEach((n, value) => n && out.push({ value, fraction: n / mask.data.length }));
  return out;
}

async function view(
  file: string,
  base: Omit<LabelMapView, 'url' | 'problem' | 'values' | 'iou' | 'labelled'>,
  gt: ClassMask | null,
): Promise<{ view: LabelMapView; mask: ClassMask | null }> {
  const out: LabelMapView = { ...base, url: null, problem: null, values: [], iou: null, labelled: null };
  if (!(await fs.stat(file).catch(() => null))?.isFile()) {
    out.problem = `No ${file}: this stage has not labelled this image (not in its image list, or not yet).`;
    return { view: out, mask: null };
  }
  let mask: ClassMask;
  try {
    mask = await readClassMask(file);
  } catch (e) {
    out.problem = `${(e as Error).message}. Delete it and resume the stage to rewrite it.`;
    return { view: out, mask: null };
  }
  out.url = await maskToPng(mask, true);
  out.values = values(mask);
  if (gt) {
    try {
      const score = labelMapIou(mask, gt);
      out.iou = score.miou;
      out.labelled = score.labelled;
    } catch (e) {
      out.problem = `${file}: ${(e as Error).message}.`;
    }
  }
  return { view: out, mask };
}

/** Every masks/<stage> label map of `id` in the run (in stage order) and the GT, when the dataset has it. */
export async function readChainMaps(run: CamRun, id: string): Promise<ChainMaps> {
  const out: ChainMaps = { id, maps: [], gt: null, classes: run.classes, gtLabels: null, note: null };
  let gt: ClassMask | null = null;
  const gtFile = run.datasetRoot ? await gtMaskFileOf(run.datasetRoot, id) : null;
  if (gtFile) {
    const read = await view(gtFile, { stage: 'ground truth', type: null, kind: 'ground_truth' }, null);
    out.gt = read.view;
    gt = read.mask;
    if (gt) out.gtLabels = { width: gt.width, height: gt.height, data: Buffer.from(gt.data).toString('base64') };
  }
  const sets = await listMaskSets(run.runDir);
  if (!sets.length)
    out.note =
      'This run has no masks/ folder yet: IR labels, pseudo masks and segmenter outputs appear once those stages have run.';
  for (const set of sets) {
    const read = await view(
      maskFileOf(run.runDir, set.stage, id),
      { stage: set.stage, type: set.type, kind: kindOfStageType(set.type ?? 'unknown') },
      gt,
    );
    out.maps.push(read.view);
  }
  return out;
}
