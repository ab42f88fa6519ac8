// The fast CPU preview path (issue 11): an export with export_onnx's int8 preview model is previewed with it,
// and its CAMs agree with the full-precision export's on held-out images within the stated tolerance.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearCamModelCache, computeCams, loadCamModel } from '../../../extension/preview/camModel';
import { camAgreement } from '../../support/camAgreement';
import { engineEnv, enginePython, engineUnavailable, repoRoot } from '../engineFixture';

// Random weights (a trained net's features are smoother); measured mean IoU 0.953 (min 0.86) for this model.
const MIN_MEAN_IOU = 0.85;
const MAX_MEAN_ABS_DIFF = 0.03;

describe('int8 CAM preview (onnxruntime-node)', { skip: engineUnavailable() }, () => {
  let dir: string;
  let runDir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-preview-int8-'));
    execFileSync(
      enginePython,
      [
        path.join(repoRoot, 'test/unit/preview/make_export.py'),
        dir,
        '--size',
        '64',
        '--classes',
        'cat,dog,boat,bird,car',
        '--int8',
      ],
      { env: engineEnv(false), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    runDir = path.join(dir, 'runs/preview-run');
  });
  after(async () => {
    await clearCamModelCache();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('previews with the int8 model the export names, and the fp32 one on request', async () => {
    const fast = await loadCamModel(runDir);
    assert.equal(fast.precision, 'int8');
    assert.equal(path.basename(fast.onnxPath), 'cam_model.int8.onnx');
    const full = await loadCamModel(runDir, { fullPrecision: true });
    assert.equal(full.precision, 'fp32');
    assert.notStrictEqual(full, fast);
    assert.strictEqual(await loadCamModel(runDir), fast, 'each cached on its own');
  });

  it('agrees with the full-precision CAMs on held-out images', async () => {
    const fast = await loadCamModel(runDir);
    const full = await loadCamModel(runDir, { fullPrecision: true });
    const images = fs
      .readdirSync(path.join(dir, 'calibration'))
      .filter((f) => f.startsWith('heldout_'))
      .map((f) => path.join(dir, 'calibration', f));
    images.push(path.join(dir, 'voc/JPEGImages/img_0002.jpg'));
    assert.equal(images.length, 5);
    const pairs = await Promise.all(
      images.map(
        async (f) =>
          [await computeCams(full, f), await computeCams(fast, f)] as [
            Awaited<ReturnType<typeof computeCams>>,
            Awaited<ReturnType<typeof computeCams>>,
          ],
      ),
    );
    const agreement = camAgreement(pairs);
    assert.equal(agreement.maps, 5 * 5);
    assert.ok(
      agreement.meanIou >= MIN_MEAN_IOU && agreement.meanAbsDiff <= MAX_MEAN_ABS_DIFF,
      JSON.stringify(agreement),
    );
  });

  it('the agreement measure notices a different map', () => {
    const a = { maps: [Float32Array.from([1, 1, 0, 0])] };
    const b = { maps: [Float32Array.from([0, 0, 1, 1])] };
    assert.equal(camAgreement([[a, a]]).meanIou, 1);
    const got = camAgreement([[a, b]]);
    assert.deepEqual([got.meanIou, got.maxAbsDiff, got.meanAbsDiff], [0, 1, 1]);
  });
});
