// CAM overlay panel in real Debian Chromium against the real host logic (extension/panels/cam), on fixture
// run folders written by the engine's own save_cam (test/webview/fixtures/make_cam_runs.py) over the real
// photos: class choice, colour map, threshold -> pseudo mask, two runs side by side, PNG export, bad runs.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import type { CamContract } from '../../protocol/webview/cam';
import { CamOverlays } from '../../extension/panels/cam/camPanel';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { enginePython, repoRoot, sharedDir } from '../support/paths';
import { paletteColor } from '../../common/classes';
import { colormapTable } from '../../common/colormaps';
import { labelMapIou } from '../../common/labelIou';
import { FIGURE_LAYOUT, FIGURE_LONG_SIDE } from '../../webview/shared/camFigure';
import { readClassMask } from '../../extension/panels/dataset/maskImage';
import { writeChainMasks, writeChainReports } from './fixtures/chainRun';
import {
  openPanel,
  PanelServer,
  testEnvironment,
  type OpenedPanel,
  type TestEnvironment,
} from './harness/panelHarness';

const PHOTOS = path.join(sharedDir(), 'data', 'photos');
const IDS = ['2011_000006', '000000000049', '000000000042']; // chair+person+sofa, horse+person+plant, dog

/** Choose an option of a <vscode-single-select> the way a user does: open it, click the option. */
async function choose(page: Page, testId: string, label: string): Promise<void> {
  const option = page
    .locator(`[data-testid=${testId}] .option:has-text("${label}"), [data-testid=${testId}] li:has-text("${label}")`)
    .first();
  // The panel rebuilds the select when a newly loaded image brings other classes; a drop-down opened just
  // before that is gone with its element. Open it again (as a user would) until the option shows.
  for (let attempt = 1; ; attempt++) {
    await page.click(`[data-testid=${testId}]`);
    try {
      await option.waitFor({ state: 'visible', timeout: 3000 });
      await option.click({ timeout: 3000 });
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
      await page.keyboard.press('Escape');
    }
  }
}

/** Non-transparent pixels of the pseudo mask canvas of a side. */
function maskPixels(page: Page, side: string): Promise<number> {
  return page.evaluate((s) => {
    const c = document.querySelector(`[data-testid=side-${s}] [data-testid=pseudo-mask]`) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  }, side);
}

describe('CAM overlay panel (Chromium, real host logic)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let env: TestEnvironment;
  let opened: OpenedPanel<CamContract>;
  let runs: string;

  before(async function () {
    if (!fs.existsSync(PHOTOS) || !fs.existsSync(enginePython())) this.skip();
    runs = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-cam-runs-'));
    execFileSync(
      enginePython(),
      [path.join(repoRoot, 'test/webview/fixtures/make_cam_runs.py'), runs, PHOTOS, ...IDS],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine') } },
    );
    // the chain after the CAMs (issue 8): reports and masks/<stage>/ label PNGs of IR labels, pseudo masks, segmenter
    const pole = path.join(runs, 'pole-selected');
    writeChainReports(
      pole,
      'POLE (selected words)',
      { cam: 0.59, camBest: { threshold: 0.1, miou: 0.6 }, irLabels: 0.85, pseudo: 0.74, segmentation: 0.71 },
      false,
    );
    await writeChainMasks(pole, PHOTOS, IDS);
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    env = testEnvironment();
    env.workspaceFolders = [runs];
    opened = await openPanel<CamContract>(
      browser.page,
      server,
      'cam',
      () => new CamOverlays(env, path.join(runs, 'pole-selected')),
    );
  });

  after(async () => {
    opened?.dispose();
    await browser?.close();
    await server?.close();
    env?.cleanup();
    if (runs) fs.rmSync(runs, { recursive: true, force: true });
  });

  it("shows the opened run's CAM over the photo with its selected prompt word", async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=side-left] [data-testid=heatmap]');
    assert.equal(
      (await page.textContent('[data-testid=side-left] [data-testid=run-name]'))?.trim(),
      'POLE (selected words)',
    );
    assert.equal(
      await page
        .inputValue('[data-testid=image-id] >> input')
        .catch(() => page.evaluate(() => (document.querySelector('[data-testid=image-id]') as HTMLInputElement).value)),
      '000000000042',
    );
    await page.click('[data-testid=next-image]');
    await page.waitForFunction(() =>
      (document.querySelector('[data-testid=image-position]')?.textContent ?? '').startsWith('2 / 3'),
    );
    await page.click('[data-testid=next-image]');
    await page.waitForFunction(() =>
      (document.querySelector('[data-testid=image-position]')?.textContent ?? '').startsWith('3 / 3'),
    );
    await choose(page, 'class-select', 'sofa');
    await page.waitForSelector('[data-testid=side-left] [data-testid=prompt-word]:has-text("couch")');
    // ONE compact notice lists the runs without CAMs (their reasons folded away), the rest works
    const notice = page.locator('[data-testid=messages] [data-testid=runs-without-cams]');
    assert.equal(await notice.count(), 1);
    assert.equal(await page.locator('[data-testid=messages] .banner').count(), 0, 'no banner per run');
    assert.match((await notice.locator('summary').textContent()) ?? '', /1 run without CAMs: unfinished run/);
    assert.match((await notice.locator('li').textContent()) ?? '', /has no cams\/ folder/);
    assert.match(
      (await page.textContent('[data-testid=side-left] [data-testid=prompt-word]')) ?? '',
      /prompt “couch” \(POLE’s selected word\)/,
    );
    assert.equal(await page.locator('[data-testid=side-left] [data-testid=colour-bar]').count(), 1);
    await screenshot(page, 'webview', 'cam-single');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('shows the chain of one image: photo, CAM, IR labels, pseudo mask, segmenter, GT, with per-image IoU', async () => {
    const page = browser.page;
    const strip = page.locator('[data-testid=chain-box] [data-testid=chain-strip]');
    await strip.locator('[data-testid=chain-figure][data-kind=ground_truth] img').waitFor();
    assert.deepEqual(
      await strip
        .locator('[data-testid=chain-figure]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))),
      ['photo', 'cam', 'ir_labels', 'pseudo_mask', 'segmentation', 'ground_truth'],
    );
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=chain-strip] img')].every(
        (i) => (i as HTMLImageElement).naturalWidth > 0,
      ),
    );
    // every map decoded at the photo's size, its IoU as the host logic computes it from the PNG files
    const id = '2011_000006';
    const gt = await readClassMask(path.join(PHOTOS, 'SegmentationClass', `${id}.png`));
    for (const [kind, stage] of [
      ['ir_labels', 'ir'],
      ['pseudo_mask', 'rw'],
      ['segmentation', 'seg'],
    ]) {
      const fig = strip.locator(`[data-testid=chain-figure][data-kind=${kind}]`);
      assert.equal(await fig.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth), gt.width);
      const expected = labelMapIou(
        await readClassMask(path.join(runs, 'pole-selected', 'masks', stage, `${id}.png`)),
        gt,
      ).miou!;
      assert.equal(
        Number(await fig.locator('[data-testid=image-iou]').getAttribute('data-iou')),
        Number(expected.toFixed(4)),
      );
    }
    // beside the CAM and the pseudo mask: the GT, and the pseudo mask at the slider's threshold scored against it
    await page.locator('[data-testid=side-left] [data-testid=truth-map]').waitFor();
    const pseudoLabels = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=side-left] [data-testid=pseudo-mask]') as HTMLCanvasElement;
      return {
        width: c.width,
        height: c.height,
        rgba: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
      };
    });
    const byColour = new Map(Array.from({ length: 21 }, (_, v) => [paletteColor(v).join(), v]));
    const labels = new Uint8Array(pseudoLabels.width * pseudoLabels.height);
    for (let p = 0; p < labels.length; p++) {
      const o = p * 4;
      labels[p] = pseudoLabels.rgba[o + 3] ? (byColour.get(pseudoLabels.rgba.slice(o, o + 3).join()) ?? 0) : 0;
    }
    const expectedPseudo = labelMapIou(
      { width: pseudoLabels.width, height: pseudoLabels.height, data: labels },
      gt,
    ).miou!;
    assert.equal(
      Number(await page.getAttribute('[data-testid=side-left] [data-testid=pseudo-iou]', 'data-iou')),
      Number(expectedPseudo.toFixed(4)),
    );
    const iou = async (kind: string): Promise<number> =>
      Number(await strip.locator(`[data-kind=${kind}] [data-testid=image-iou]`).getAttribute('data-iou'));
    assert.ok(
      (await iou('segmentation')) > (await iou('pseudo_mask')),
      'the less shifted map agrees better with the GT',
    );
    assert.match(
      await strip.locator('[data-testid=ir-shares]').innerText(),
      /fg \d+\.\d% · bg \d+\.\d% · ignore [1-9]\d*\.\d%/,
    );
    assert.match(
      await strip.locator('[data-kind=ir_labels] [data-testid=image-iou]').innerText(),
      /on the \d+\.\d% it labels/,
    );
    const legend = await strip.locator('[data-testid=chain-legend]').innerText();
    for (const name of ['background', 'chair', 'person', 'sofa', 'ignore']) assert.match(legend, new RegExp(name));
    await strip.scrollIntoViewIfNeeded();
    await screenshot(page, 'webview', 'cam-chain');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('the background threshold changes the pseudo mask; the colour map changes the heat map', async () => {
    const page = browser.page;
    const fg = async (): Promise<number> =>
      Number(await page.getAttribute('[data-testid=side-left] [data-testid=pseudo-caption]', 'data-foreground'));
    const low = await maskPixels(page, 'left');
    const lowFraction = await fg();
    await page.locator('[data-testid=threshold]').fill('0.7');
    const high = await maskPixels(page, 'left');
    assert.ok(high < low * 0.9, `a higher threshold leaves less foreground (${low} -> ${high} pixels)`);
    assert.ok((await fg()) < lowFraction);
    assert.match(
      (await page.textContent('[data-testid=side-left] [data-testid=pseudo-caption]')) ?? '',
      /threshold 0\.70/,
    );
    const pixel = (): Promise<number[]> =>
      page.evaluate(() => {
        const c = document.querySelector('[data-testid=side-left] [data-testid=heatmap]') as HTMLCanvasElement;
        return Array.from(
          c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data,
        );
      });
    const jet = await pixel();
    await choose(page, 'colormap', 'viridis');
    await page.waitForFunction((before) => {
      const c = document.querySelector('[data-testid=side-left] [data-testid=heatmap]') as HTMLCanvasElement;
      const now = Array.from(
        c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data,
      );
      return now.join() !== before.join();
    }, jet);
    await page.locator('[data-testid=threshold]').fill('0.15');
  });

  it('compares two runs side by side: GT-prompt run vs selected-word run', async () => {
    const page = browser.page;
    await choose(page, 'right-source', 'CLIMS (GT prompts)');
    await page.waitForSelector('[data-testid=side-right] [data-testid=heatmap]');
    assert.match(
      (await page.textContent('[data-testid=side-left] [data-testid=prompt-mode]')) ?? '',
      /POLE selected words/,
    );
    assert.match(
      (await page.textContent('[data-testid=side-right] [data-testid=prompt-mode]')) ?? '',
      /GT class names/,
    );
    const cls = (await page.textContent('[data-testid=class-select]'))?.trim() ?? '';
    assert.equal(
      await page.getAttribute('[data-testid=side-right] [data-testid=prompt-word]', 'data-word'),
      (await page.locator('[data-testid=side-right] [data-testid=heat-caption]').textContent())?.match(
        /CAM of (\w+)/,
      )?.[1],
      `the GT-prompt run's caption names the class word (${cls})`,
    );
    assert.match(
      (await page.textContent('[data-testid=side-right] [data-testid=prompt-word]')) ?? '',
      /\(ground-truth word\)/,
    );
    assert.notEqual(await maskPixels(page, 'left'), await maskPixels(page, 'right'));
    await choose(page, 'right-source', 'Baseline CAM');
    await page.waitForSelector(
      '[data-testid=side-right] [data-testid=prompt-none]:has-text("no prompt (baseline CAM)")',
    );
    await choose(page, 'right-source', 'CLIMS (GT prompts)');
    await page.waitForSelector('[data-testid=side-right] [data-testid=prompt-word]');
    await screenshot(page, 'webview', 'cam-compare');
  });

  it('exports what is shown as a PNG', async () => {
    const page = browser.page;
    await page.click('[data-testid=export-png]');
    await page.waitForSelector('[data-testid=messages] >> text=Saved');
    const saved = env.saved.at(-1)!;
    assert.equal(saved.name, 'cam-2011_000006.png');
    const meta = await sharp(saved.path).metadata();
    assert.equal(meta.format, 'png');
    const side = meta.width! / 2; // two sides of equal width
    assert.ok(side >= FIGURE_LONG_SIDE, `each side at least ${FIGURE_LONG_SIDE} px wide (${meta.width})`);
    assert.ok(meta.height! >= 2 * FIGURE_LONG_SIDE * 0.7, `tiles enlarged (${meta.height})`);
    // the colour bar: a row of the left side that runs through the colour map from 0 to 1
    const colormap = (await page.getAttribute('[data-testid=side-left] [data-testid=colour-bar]', 'data-colormap'))!;
    const lut = colormapTable(colormap as 'jet');
    const { data, info } = await sharp(saved.path).raw().toBuffer({ resolveWithObject: true });
    const { pad } = FIGURE_LAYOUT;
    const barX = pad + 44;
    const barW = Math.min(side - 2 * pad, 420) - 44;
    const near = (y: number, x: number, t: number): boolean => {
      const o = (y * info.width + x) * info.channels;
      const k = Math.round(t * 255) * 3;
      return [0, 1, 2].every((c) => Math.abs(data[o + c] - lut[k + c]) <= 12);
    };
    const barRows = Array.from({ length: info.height }, (_, y) => y).filter((y) =>
      [0.02, 0.25, 0.5, 0.75, 0.98].every((t) => near(y, barX + Math.round(t * (barW - 1)), t)),
    );
    assert.ok(
      barRows.length >= FIGURE_LAYOUT.barHeight - 2,
      `a colour bar ${FIGURE_LAYOUT.barHeight} px tall (${barRows.length} rows)`,
    );
    fs.copyFileSync(saved.path, path.join(repoRoot, 'test-results', 'webview', 'cam-export.png'));
  });

  it('says clearly what is wrong with an older run and a folder that is not a run', async () => {
    const page = browser.page;
    await choose(page, 'right-source', 'old run');
    await page.waitForSelector('[data-testid=side-right] .banner-error >> text=plain array');
    await page.waitForSelector('[data-testid=side-right] [data-testid=run-warning] >> text=older engine');
    await page.waitForSelector('[data-testid=side-left] [data-testid=heatmap]'); // the other side still works
    env.nextPick = os.tmpdir();
    await page.click('[data-testid=add-run]');
    await page.waitForSelector('[data-testid=runs-without-cams] summary >> text=2 runs without CAMs');
    assert.match(
      (await page.locator(`[data-testid=runs-without-cams] li[data-run="${os.tmpdir()}"]`).textContent()) ?? '',
      /run\.json: the file does not exist/,
    );
    await page.click('[data-testid=runs-without-cams] summary'); // unfolded for the screenshot
    await screenshot(page, 'webview', 'cam-bad-runs');
    assert.deepEqual(await opened.cspViolations(), []);
  });
  it('tells two runs of one name apart by start time in the run pickers and the side heading', async () => {
    const page = browser.page;
    const again = path.join(runs, 'clims-gt-again'); // the same config run again a day later
    fs.cpSync(path.join(runs, 'clims-gt'), again, { recursive: true });
    const runFile = path.join(again, 'run.json');
    const record = JSON.parse(fs.readFileSync(runFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(runFile, JSON.stringify({ ...record, id: 'clims-gt-again', created: '2026-11-27T09:15:00Z' }));
    env.nextPick = undefined; // "Add run" cancelled: the panel still searches the workspace again
    await page.click('[data-testid=add-run]');
    const first = 'CLIMS (GT prompts) · 2026-11-26 08:00 · cams';
    const second = 'CLIMS (GT prompts) · 2026-11-27 09:15 · cams';
    await page.waitForSelector(`[data-testid=right-source] vscode-option:has-text("${second}")`, { state: 'attached' });
    const options = (await page.locator('[data-testid=right-source] vscode-option').allInnerTexts()).map((o) =>
      o.trim(),
    );
    assert.ok(options.includes(first) && options.includes(second), options.join('\n'));
    assert.ok(options.includes('POLE (selected words) · cams'), 'a name held by one run stays bare');
    await choose(page, 'right-source', second);
    await page.waitForSelector(`[data-testid=side-right] [data-testid=run-name]:has-text("${second.slice(0, -7)}")`);
  });
});
