// The CAM preview editor's page in real Debian Chromium, under the panels' CSP, against the real host logic
// (extension/panels/campreview/camPreviewHandler.ts) with an engine-made ONNX export (test/unit/preview/make_export.py):
// the classes are listed ranked, choosing a class redraws the browser-rendered heat map over the photo with no
// request to the host, and an unreadable image shows a message naming it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { CamPreviewContract } from '../../protocol/webview/campreview';
import { clearCamModelCache } from '../../extension/preview/camModel';
import { createCamPreviewHandler } from '../../extension/panels/campreview/camPreviewHandler';
import { findPreviewSource } from '../../extension/preview/previewRun';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { enginePython, repoRoot, sharedDir } from '../support/paths';
import { openPanel, PanelServer } from './harness/panelHarness';

describe('CAM preview editor (Chromium, real host logic)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let dir: string;
  const photo = path.join(sharedDir(), 'data/photos/JPEGImages/000000000042.jpg');

  before(async function () {
    if (!fs.existsSync(enginePython()) || !fs.existsSync(photo)) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-campreview-'));
    execFileSync(
      enginePython(),
      [path.join(repoRoot, 'test/unit/preview/make_export.py'), dir, '--size', '96', '--classes', 'dog,person,sofa'],
      {
        env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1000, height: 700 } });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await clearCamModelCache();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const source = () => findPreviewSource({ runsDirectory: path.join(dir, 'runs'), workspaceFolders: [] });

  it('lists the ranked classes and redraws the heat map in the browser when another class is chosen', async () => {
    const page = browser.page;
    const opened = await openPanel<CamPreviewContract>(page, server, 'campreview', () =>
      createCamPreviewHandler(photo, source),
    );
    try {
      await page.waitForSelector('[data-testid=overlay][data-class-index]');
      const names = await page
        .locator('[data-testid=classes] button')
        .evaluateAll((els) => els.map((e) => e.firstElementChild?.textContent));
      assert.deepEqual([...names].sort(), ['dog', 'person', 'sofa']);
      assert.match((await page.getAttribute('[data-testid=photo]', 'src')) ?? '', /^data:image\/jpeg;base64,/);
      const pixels = () =>
        page.evaluate(() => (document.querySelector('[data-testid=overlay]') as HTMLCanvasElement).toDataURL());
      const first = await pixels();
      assert.equal(
        await page.evaluate(() => (document.querySelector('[data-testid=overlay]') as HTMLCanvasElement).style.opacity),
        '0.5',
      );
      const other = names[names.length - 1]!;
      await page.click(`[data-testid=class-${other}]`);
      await page.waitForFunction(
        (src) => (document.querySelector('[data-testid=overlay]') as HTMLCanvasElement).toDataURL() !== src,
        first,
      );
      assert.equal(opened.rpc.stats.requests, 0, 'class changes are drawn without asking the host');
      assert.match((await page.textContent('[data-testid=caption]')) ?? '', new RegExp(`CAM of ${other}`));
      assert.match((await page.textContent('[data-testid=header]')) ?? '', /run preview-run/);
      await screenshot(page, 'webview', 'campreview');
      assert.deepEqual(await opened.cspViolations(), []);
    } finally {
      opened.dispose();
    }
  });

  it('shows a tiny image at least 512 px on its long side, pixels kept sharp, with a colour bar', async () => {
    const tiny = path.join(dir, 'tiny.png');
    await sharp(photo).resize(64, 150, { fit: 'fill' }).png().toFile(tiny);
    const page = await browser.context.newPage();
    const opened = await openPanel<CamPreviewContract>(page, server, 'campreview', () =>
      createCamPreviewHandler(tiny, source),
    );
    try {
      await page.waitForSelector('[data-testid=overlay][data-class-index]');
      const shown = await page.locator('[data-testid=photo]').boundingBox();
      assert.ok(shown && Math.max(shown.width, shown.height) >= 511, `shown ${shown?.width}×${shown?.height}`);
      assert.equal(
        await page.locator('[data-testid=photo]').evaluate((i) => getComputedStyle(i).imageRendering),
        'pixelated',
      );
      assert.equal(await page.locator('[data-testid=colour-bar]').count(), 1);
      await screenshot(page, 'webview', 'campreview-tiny');
      assert.deepEqual(await opened.cspViolations(), []);
    } finally {
      opened.dispose();
      await page.close();
    }
  });

  it('names an unreadable image', async () => {
    const bad = path.join(dir, 'broken.png');
    fs.writeFileSync(bad, 'not a png');
    const page = await browser.context.newPage(); // a page serves one panel
    const opened = await openPanel<CamPreviewContract>(page, server, 'campreview', () =>
      createCamPreviewHandler(bad, source),
    );
    try {
      await page.waitForSelector('[data-testid=messages] >> text=/Cannot read the image .*broken\\.png/');
      assert.equal(await page.locator('[data-testid=overlay]').isVisible(), false);
    } finally {
      opened.dispose();
      await page.close();
    }
  });
});
