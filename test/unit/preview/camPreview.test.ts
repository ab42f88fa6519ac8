// CAM previews against a real `export_onnx` export (random-weight small_cnn CAM net) made by the engine in a
// Python subprocess: onnxruntime-node CAMs equal the engine's torch CAMs, PNGs decode, hovers carry a data:
// URI image and class names, and bad inputs (no export, corrupt image, mismatched model) give messages.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { clearCamModelCache, computeCams, loadCamModel, PreviewError } from '../../../extension/preview/camModel';
import { renderHoverStrip, resizeMap } from '../../../extension/preview/camRender';
import { HOVER_MAX_DATA_URI, hoverPreview } from '../../../extension/preview/hoverContent';
import { createCamPreviewHandler } from '../../../extension/panels/campreview/camPreviewHandler';
import { findPreviewSource, resolveImageToken } from '../../../extension/preview/previewRun';
import { engineEnv, enginePython, engineUnavailable, repoRoot } from '../engineFixture';

const MAKE_EXPORT = path.join(repoRoot, 'test/unit/preview/make_export.py');

describe('CAM previews (onnxruntime-node + sharp)', { skip: engineUnavailable() }, () => {
  let dir: string;
  let runsDir: string;
  let runDir: string;
  let root: string;
  let expected: { image: string; shape: number[]; raw_max: number[]; cams: number[] };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-preview-'));
    execFileSync(enginePython, [MAKE_EXPORT, dir, '--size', '64'], {
      env: engineEnv(false),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    runsDir = path.join(dir, 'runs');
    runDir = path.join(runsDir, 'preview-run');
    root = path.join(dir, 'voc');
    expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  });
  after(async () => {
    await clearCamModelCache();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("computes the same per-class CAMs as the engine's torch model", async () => {
    const model = await loadCamModel(runDir);
    assert.deepEqual(model.meta.classes, ['cat', 'dog', 'boat']);
    assert.equal(model.meta.stride, 4);
    assert.strictEqual(await loadCamModel(runDir), model, 'cached per run + mtime');
    const result = await computeCams(model, expected.image);
    assert.deepEqual([result.classes.length, result.mapHeight, result.mapWidth], expected.shape);
    assert.deepEqual([result.inputWidth, result.inputHeight], [64, 48]);
    let maxDiff = 0;
    result.maps.forEach((map, k) =>
      map.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - expected.cams[k * map.length + i]));
      }),
    );
    assert.ok(maxDiff < 1e-3, `max |onnx - torch| = ${maxDiff}`);
    result.peak.forEach((p, k) =>
      assert.ok(Math.abs(p - expected.raw_max[k]) <= 1e-3 * Math.max(1, expected.raw_max[k])),
    );
    assert.ok(
      result.maps.every((m) => Math.max(...m) > 0.99),
      'each map is max-normalised',
    );
  });

  it('reloads the model after a re-export (new mtime)', async () => {
    const first = await loadCamModel(runDir);
    const onnx = path.join(runDir, 'export/cam_model.onnx');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(onnx, later, later);
    const second = await loadCamModel(runDir);
    assert.notStrictEqual(second, first);
  });

  it('renders a labelled hover strip that decodes to the expected size', async () => {
    const result = await computeCams(await loadCamModel(runDir), path.join(root, 'JPEGImages/img_0002.jpg'));
    const strip = await renderHoverStrip(result, [2, 0], ['boat 0.1', 'cat 0.2'], 64);
    const stripMeta = await sharp(strip.png).metadata();
    assert.deepEqual([stripMeta.width, stripMeta.height], [64 * 2 + 4, 48]);
    // The label band darkens the tile's bottom rows.
    const raw = await sharp(strip.png).removeAlpha().raw().toBuffer();
    const row = (y: number) => raw.subarray(y * strip.width * 3, (y + 1) * strip.width * 3).reduce((s, v) => s + v, 0);
    assert.ok(row(47) < row(10), 'bottom band is darker than the photo');
  });

  it('upsamples maps bilinearly with aligned pixel centres', () => {
    const up = resizeMap(Float32Array.from([0, 1]), 2, 1, 4, 1);
    assert.deepEqual(Array.from(up), [0, 0.25, 0.75, 1]);
  });

  it('picks the latest exported completed run and resolves image ids and paths', async () => {
    const source = await findPreviewSource({ runsDirectory: runsDir, workspaceFolders: [dir] });
    assert.equal(source.runDir, runDir);
    assert.equal(source.datasetRoot, root);
    assert.equal(
      await resolveImageToken('img_0001', source.datasetRoot, undefined, []),
      path.join(root, 'JPEGImages/img_0001.png'),
    );
    assert.equal(
      await resolveImageToken('voc/JPEGImages/img_0002.jpg', null, undefined, [dir]),
      path.join(root, 'JPEGImages/img_0002.jpg'),
    );
    assert.equal(await resolveImageToken('not_an_image', source.datasetRoot, undefined, [dir]), undefined);
    assert.equal(await resolveImageToken('missing.jpg', source.datasetRoot, undefined, [dir]), undefined);
  });

  it('builds hover markdown with a small PNG data: URI and the class names', async () => {
    const source = await findPreviewSource({ runsDirectory: runsDir, workspaceFolders: [dir] });
    const hover = await hoverPreview(path.join(root, 'JPEGImages/img_0001.png'), source);
    const m = /!\[CAM preview of img_0001\.png\]\((data:image\/png;base64,[A-Za-z0-9+/=]+)\)/.exec(hover.markdown);
    assert.ok(m, hover.markdown.slice(0, 300));
    assert.ok(m[1].length < HOVER_MAX_DATA_URI);
    const png = Buffer.from(m[1].split(',')[1], 'base64');
    assert.equal((await sharp(png).metadata()).format, 'png');
    for (const name of ['cat', 'dog', 'boat']) assert.match(hover.markdown, new RegExp(`\\| ${name} \\|`));
    assert.match(hover.markdown, /run `preview-run` \(synthetic\)/);
    assert.match(hover.markdown, /command:wsss\.openCamPreview\?/);
  });

  it('serves the CAM preview editor: ranked classes with their CAMs and the photo in one snapshot, no requests', async () => {
    const source = () => findPreviewSource({ runsDirectory: runsDir, workspaceFolders: [dir] });
    const handler = createCamPreviewHandler(path.join(root, 'JPEGImages/img_0002.jpg'), source);
    const snap = await handler.snapshot(null);
    assert.equal(snap.problem, null);
    assert.deepEqual(snap.classes.map((c) => c.name).sort(), ['boat', 'cat', 'dog']);
    assert.ok(snap.classes[0].mean >= snap.classes[1].mean && snap.classes[1].mean >= snap.classes[2].mean);
    assert.match(snap.imageUrl ?? '', /^data:image\/jpeg;base64,/);
    assert.equal(
      (await sharp(Buffer.from(snap.imageUrl!.split(',')[1], 'base64')).metadata()).width,
      64,
      'the photo is 64 px wide: never enlarged',
    );
    const result = await computeCams(await loadCamModel(runDir), path.join(root, 'JPEGImages/img_0002.jpg'));
    assert.deepEqual([snap.mapWidth, snap.mapHeight], [result.mapWidth, result.mapHeight]);
    for (const c of snap.classes) {
      const bytes = Buffer.from(c.map, 'base64');
      assert.equal(bytes.length, snap.mapWidth * snap.mapHeight);
      // The same max-normalised CAM the hover blends (0..1 as 0..255), so both previews show one picture.
      assert.deepEqual(
        [...bytes],
        [...result.maps[c.index]].map((v) => (v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0)),
      );
    }
    await assert.rejects(
      handler.handleRequest({ kind: 'request', id: 1, method: 'campreview/overlay', params: {} } as never, {
        cancelled: false,
      }),
      /no request 'campreview\/overlay'/,
    );
    const broken = createCamPreviewHandler(path.join(dir, 'nothing.png'), source);
    assert.match((await broken.snapshot(null)).problem ?? '', /Cannot read the image .*nothing\.png/);
  });

  it('says which run lacks the export and that export_onnx must run', async () => {
    const bare = path.join(runsDir, 'no-export');
    fs.cpSync(runDir, bare, { recursive: true });
    fs.rmSync(path.join(bare, 'export'), { recursive: true });
    const source = await findPreviewSource({
      runsDirectory: runsDir,
      previewRun: 'no-export',
      workspaceFolders: [dir],
    });
    assert.equal(source.runDir, null);
    const hover = await hoverPreview(path.join(root, 'JPEGImages/img_0001.png'), source);
    assert.match(hover.problem ?? '', /^Run no-export .*has no exported model .*export_onnx stage/);
    assert.ok(hover.markdown.includes('run its export_onnx stage'));
    await assert.rejects(
      loadCamModel(bare),
      (e: unknown) => e instanceof PreviewError && e.kind === 'noExport' && /no-export/.test(e.message),
    );
    fs.rmSync(bare, { recursive: true });
  });

  it('names a corrupt image file instead of throwing', async () => {
    const bad = path.join(root, 'JPEGImages/broken.jpg');
    fs.writeFileSync(bad, Buffer.from('not a jpeg at all'));
    const source = await findPreviewSource({ runsDirectory: runsDir, workspaceFolders: [dir] });
    const hover = await hoverPreview(bad, source);
    assert.match(hover.problem ?? '', /Cannot read the image .*broken\.jpg/);
    assert.doesNotMatch(hover.markdown, /data:image/);
  });

  it('explains a model whose metadata does not match its outputs', async () => {
    const meta = path.join(runDir, 'export/cam_model.json');
    const original = fs.readFileSync(meta, 'utf8');
    try {
      fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(original), classes: ['cat', 'dog'] }));
      const source = await findPreviewSource({ runsDirectory: runsDir, workspaceFolders: [dir] });
      const hover = await hoverPreview(path.join(root, 'JPEGImages/img_0001.png'), source);
      assert.match(hover.problem ?? '', /gave float32 \[1×3×12×16\].*lists 2 classes.*re-run export_onnx/);
      assert.ok(hover.markdown.includes('\\[1×3×12×16\\]'), 'brackets escaped in markdown');
      fs.writeFileSync(meta, JSON.stringify({ ...JSON.parse(original), input: 'pixels' }));
      const renamed = await hoverPreview(path.join(root, 'JPEGImages/img_0001.png'), source);
      assert.match(renamed.problem ?? '', /has inputs \[image\].*names "pixels"/);
    } finally {
      fs.writeFileSync(meta, original);
    }
  });
});
