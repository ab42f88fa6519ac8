// The chain in the report panel (issue 8): each report's kind from its "source" (or run.json's stage types),
// published figures only beside VOC runs, and the mask sets of a run in stage order.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PUBLISHED_VOC } from '../../../common/chain';
import { publishedFor, readRunView, toEvaluationReport } from '../../../extension/panels/report/runReports';
import { listMaskSets } from '../../../extension/runs/runFolder';
import { writeChainReports } from '../../webview/fixtures/chainRun';

const levels = {
  cam: 0.55,
  camBest: { threshold: 0.1, miou: 0.571 },
  irLabels: 0.8,
  pseudo: 0.702,
  segmentation: 0.683,
};

test('every report of a chain run gets its kind, split and source stage; numbers as written', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-chain-'));
  try {
    const dir = join(root, 'voc-run');
    mkdirSync(dir);
    const written = writeChainReports(dir, 'VOC POLE', levels, false) as Record<
      string,
      { miou: number; split: string }
    >;
    const view = await readRunView(dir);
    assert.deepEqual(view.messages, []);
    const byId = new Map(view.reports.map((r) => [r.stageId, r]));
    assert.deepEqual([...byId.keys()].sort(), ['eval_cams', 'eval_ir', 'eval_rw', 'eval_seg']);
    assert.equal(byId.get('eval_cams')!.kind, 'cam');
    assert.equal(byId.get('eval_cams')!.sourceStage, null);
    assert.deepEqual(byId.get('eval_cams')!.best, levels.camBest);
    assert.equal(byId.get('eval_ir')!.kind, 'ir_labels');
    assert.equal(byId.get('eval_rw')!.kind, 'pseudo_mask', 'a source without a type is looked up in run.json');
    assert.equal(byId.get('eval_rw')!.sourceStage, 'rw');
    assert.equal(byId.get('eval_seg')!.kind, 'segmentation');
    assert.equal(byId.get('eval_seg')!.best, null, 'a mask report has no sweep best');
    for (const [id, r] of byId) {
      assert.equal(r.miou, written[id].miou);
      assert.equal(r.split, written[id].split);
    }
    assert.deepEqual(publishedFor([view]), PUBLISHED_VOC);

    const synthetic = join(root, 'synthetic-run');
    mkdirSync(synthetic);
    writeChainReports(synthetic, 'synthetic POLE', levels, true);
    const synth = await readRunView(synthetic);
    assert.equal(synth.synthetic, true);
    assert.deepEqual(publishedFor([synth]), [], 'never beside synthetic runs only');
    assert.deepEqual(publishedFor([synth, view]), PUBLISHED_VOC);
    // a real run on another dataset (its classes are not VOC's), or one with no report yet: no VOC figures
    const coco = {
      ...view,
      reports: view.reports.map((r) => ({ ...r, classes: ['background', 'person', 'bicycle'] })),
    };
    assert.deepEqual(publishedFor([coco]), []);
    assert.deepEqual(publishedFor([{ ...view, reports: [] }]), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('kinds: CAM source, unknown stage types and a source naming a stage run.json lacks', () => {
  const base = { miou: 0.5, per_class_iou: [0.5], classes: ['background'] };
  const kind = (source: unknown): string => {
    const r = toEvaluationReport('e', { ...base, source }, [
      { id: 'x', type: 'crf_refine', status: 'completed', started: null, finished: null, summary: {} },
    ]);
    assert.ok(!(r instanceof Error));
    return r.kind;
  };
  assert.equal(kind({ stage: 'cams', type: 'infer_cams' }), 'cam');
  assert.equal(kind({ stage: 'x' }), 'other');
  assert.equal(kind({ stage: 'gone' }), 'other');
  assert.equal(kind({ stage: 's', type: 'infer_segmenter' }), 'segmentation');
  assert.equal(kind(undefined), 'cam');
});

test('mask sets: masks/<stage> folders in run.json stage order, with their types', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-chain-'));
  try {
    writeChainReports(root, 'r', levels, false);
    for (const d of ['seg', 'ir', 'rw', 'stray', '.tmp']) mkdirSync(join(root, 'masks', d), { recursive: true });
    assert.deepEqual(
      (await listMaskSets(root)).map((m) => [m.stage, m.type]),
      [
        ['ir', 'ir_labels'],
        ['rw', 'random_walk'],
        ['seg', 'infer_segmenter'],
        ['stray', null],
      ],
    );
    assert.deepEqual(await listMaskSets(join(root, 'nowhere')), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
