// One image's chain in the CAM panel (issue 8): label PNGs of masks/<stage>/ read back as class indices,
// coloured, and scored against the ground truth per image (ignore pixels of either side left out).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readChainMaps } from '../../../extension/panels/cam/chainMaps';
import { readCamRun } from '../../../extension/panels/cam/camRuns';
import { labelMapIou } from '../../../common/labelIou';
import { readClassMask } from '../../../extension/panels/dataset/maskImage';
import { writeChainReports, writeLabelPng } from '../../webview/fixtures/chainRun';

const W = 4,
  H = 2;
// GT: left half background, right half class 15 (person), one border pixel ignored.
const gt = Uint8Array.from([0, 0, 15, 15, 0, 0, 15, 255]);

test('labelMapIou: mIoU over classes in either map, on pixels both label; the share labelled', () => {
  const mask = (data: number[]) => ({ width: W, height: H, data: Uint8Array.from(data) });
  const g = mask([...gt]);
  assert.deepEqual(labelMapIou(mask([...gt]), g), { miou: 1, labelled: 1 });
  // one bg pixel predicted as person: bg 3/4, person 3/4 -> 0.75
  assert.deepEqual(labelMapIou(mask([0, 15, 15, 15, 0, 0, 15, 0]), g), { miou: 0.75, labelled: 1 });
  // IR-like: two pixels ignored (left out), the rest right
  const ir = labelMapIou(mask([0, 255, 15, 255, 0, 0, 15, 0]), g);
  assert.equal(ir.miou, 1);
  assert.ok(Math.abs(ir.labelled - 5 / 7) < 1e-12);
  assert.deepEqual(labelMapIou(mask([255, 255, 255, 255, 255, 255, 255, 255]), g), { miou: null, labelled: 0 });
  assert.throws(
    () => labelMapIou({ width: 2, height: 2, data: new Uint8Array(4) }, g),
    /2x2 but the ground truth is 4x2/,
  );
});

test('readChainMaps: every masks/<stage> map of an image with its kind and IoU, the GT last; missing files named', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wsss-chainmaps-'));
  try {
    const data = join(root, 'data');
    mkdirSync(join(data, 'JPEGImages'), { recursive: true });
    await writeLabelPng(join(data, 'SegmentationClass', 'img1.png'), W, H, gt);
    const run = join(root, 'run');
    mkdirSync(join(run, 'cams', 'cams'), { recursive: true });
    writeFileSync(join(run, 'config.json'), JSON.stringify({ dataset: { root: data, classes: 'voc' }, stages: [] }));
    writeChainReports(
      run,
      'chain',
      { cam: 0.5, camBest: { threshold: 0.1, miou: 0.5 }, irLabels: 0.7, pseudo: 0.6, segmentation: 0.6 },
      false,
    );
    await writeLabelPng(join(run, 'masks', 'ir', 'img1.png'), W, H, Uint8Array.from([0, 255, 15, 255, 0, 0, 15, 0]));
    await writeLabelPng(join(run, 'masks', 'rw', 'img1.png'), W, H, Uint8Array.from([0, 15, 15, 15, 0, 0, 15, 0]));
    mkdirSync(join(run, 'masks', 'seg'));
    assert.deepEqual(
      (await readClassMask(join(run, 'masks', 'rw', 'img1.png'))).data,
      Uint8Array.from([0, 15, 15, 15, 0, 0, 15, 0]),
    );

    const chain = await readChainMaps(await readCamRun(run), 'img1');
    assert.deepEqual(
      chain.maps.map((m) => [m.stage, m.kind]),
      [
        ['ir', 'ir_labels'],
        ['rw', 'pseudo_mask'],
        ['seg', 'segmentation'],
      ],
    );
    const [ir, rw, seg] = chain.maps;
    assert.equal(ir.iou, 1);
    assert.ok(Math.abs(ir.labelled! - 5 / 7) < 1e-12);
    assert.deepEqual(
      ir.values.map((v) => v.value),
      [0, 15, 255],
    );
    assert.equal(rw.iou, 0.75);
    assert.match(rw.url!, /^data:image\/png;base64,/);
    assert.equal(seg.url, null);
    assert.match(seg.problem!, /masks\/seg\/img1\.png: this stage has not labelled this image/);
    assert.equal(chain.gt?.kind, 'ground_truth');
    assert.equal(chain.gt?.iou, null);
    assert.equal(chain.classes[14], 'person');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
