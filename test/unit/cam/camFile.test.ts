// The TypeScript .npy reader against files written by the real engine (cam_files.save_cam) and by numpy.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { readCamFile } from '../../../extension/panels/cam/camFile';
import { halfToFloat, isNdArray, parseNpy } from '../../../extension/panels/cam/npyFile';
import { unpickle } from '../../../extension/panels/cam/pickleReader';
import { engineEnv, enginePython, engineUnavailable } from '../engineFixture';

const WRITE = String.raw`
import sys, numpy as np
from wsss_engine.data.cam_files import save_cam
out = sys.argv[1]
keys = np.array([3, 14])
high = np.stack([np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5), np.eye(4, 5, dtype=np.float32)])
save_cam(out + "/a.npy", keys, high[:, ::2, ::2], high)
np.save(out + "/f32.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
np.save(out + "/f16be.npy", np.array([0.5, -2.0, 65504.0], dtype=">f2"))
np.save(out + "/i64.npy", np.array([-3, 2**40], dtype=np.int64))
np.save(out + "/u8f.npy", np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3)))
np.save(out + "/old.npy", {"keys": keys, "cam": high[:, ::2, ::2].astype(np.float16)}, allow_pickle=True)
np.save(out + "/plain.npy", high.astype(np.float16))
import pickle
open(out + "/evil.pkl", "wb").write(pickle.dumps(__import__("os").system, protocol=4))
`;

describe('npy / CAM file reader', { skip: engineUnavailable() }, () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-npy-'));
    execFileSync(enginePython, ['-c', WRITE, dir], { env: engineEnv(false) });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the engine CAM record: keys, full-resolution float16 maps', async () => {
    const cam = await readCamFile(path.join(dir, 'a.npy'));
    assert.deepEqual(cam.keys, [3, 14]);
    assert.equal(cam.width, 5);
    assert.equal(cam.height, 4);
    assert.equal(cam.lowResOnly, false);
    assert.ok(Math.abs(cam.maps[0][19] - 1) < 1e-3 && Math.abs(cam.maps[0][1] - 1 / 19) < 1e-3);
    assert.deepEqual(Array.from(cam.maps[1].slice(0, 7)), [1, 0, 0, 0, 0, 0, 1]);
  });

  it('reads plain arrays of several dtypes and orders', () => {
    const f32 = parseNpy(fs.readFileSync(path.join(dir, 'f32.npy')));
    assert.ok(isNdArray(f32));
    assert.deepEqual(f32.shape, [3, 4]);
    assert.equal(f32.data[11], 11);
    const f16 = parseNpy(fs.readFileSync(path.join(dir, 'f16be.npy')));
    assert.ok(isNdArray(f16));
    assert.deepEqual(Array.from(f16.data), [0.5, -2, 65504]);
    const i64 = parseNpy(fs.readFileSync(path.join(dir, 'i64.npy')));
    assert.ok(isNdArray(i64));
    assert.deepEqual(Array.from(i64.data), [-3, 2 ** 40]);
    const u8 = parseNpy(fs.readFileSync(path.join(dir, 'u8f.npy')));
    assert.ok(isNdArray(u8) && u8.fortranOrder);
    assert.equal(halfToFloat(0x3c00), 1);
  });

  it('falls back to the stride-4 cam for older records and refuses plain arrays with a message', async () => {
    const old = await readCamFile(path.join(dir, 'old.npy'));
    assert.equal(old.lowResOnly, true);
    assert.equal(old.width, 3);
    await assert.rejects(
      readCamFile(path.join(dir, 'plain.npy')),
      /plain array, not the \{keys, cam, high_res\} record/,
    );
    await assert.rejects(readCamFile(path.join(dir, 'missing.npy')), /No CAM file .*missing\.npy/);
    fs.writeFileSync(path.join(dir, 'junk.npy'), 'junk');
    await assert.rejects(readCamFile(path.join(dir, 'junk.npy')), /Cannot read CAM file .*not a \.npy file/);
  });

  it('never calls arbitrary globals from a pickle', () => {
    assert.throws(() => unpickle(fs.readFileSync(path.join(dir, 'evil.pkl'))), /refusing to load posix\.system/);
  });
  it('reads a training-free CAM record (clip_cams stage, METHOD §10) as the panel does any CAM set', async () => {
    const script = String.raw`
import sys, numpy as np, torch
from wsss_engine.clip_cam.maker import CamSettings, TrainingFreeCams
from wsss_engine.data.cam_files import save_cam
from wsss_engine.models.clip_model import ClipScorer
torch.manual_seed(0)
cfg = {"embed_dim": 32, "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 16, "head_width": 32},
       "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
maker = TrainingFreeCams(ClipScorer.from_config({"kind": "tiny", "model_cfg": cfg}), ["cat", "dog", "car"], {}, ["sky"],
                         CamSettings(scale=2.0))
rgb = np.random.default_rng(0).integers(0, 255, (37, 50, 3), dtype=np.uint8)
keys, cam, high, _ = maker.record(rgb, [2, 0])
save_cam(sys.argv[1] + "/tf.npy", keys, cam, high)
`;
    execFileSync(enginePython, ['-c', script, dir], { env: engineEnv(false) });
    const cam = await readCamFile(path.join(dir, 'tf.npy'));
    assert.deepEqual(cam.keys, [0, 2]);
    assert.equal(cam.width, 50);
    assert.equal(cam.height, 37);
    assert.equal(cam.lowResOnly, false);
    for (const map of cam.maps) assert.ok(Math.max(...map) <= 1 && Math.min(...map) >= 0);
  });
});
