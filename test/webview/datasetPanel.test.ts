// Dataset browser in real Debian Chromium against the real host logic (extension/panels/dataset) on the real
// photos (../shared/data/photos) and on a broken root made here: filters, overlay, bad input, restore.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetContract } from '../../protocol/webview/dataset';
import { DatasetBrowser } from '../../extension/panels/dataset/datasetPanel';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { sharedDir } from '../support/paths';
import { labelMapIou } from '../../common/labelIou';
import { readClassMask } from '../../extension/panels/dataset/maskImage';
import { writeChainMasks, writeChainReports } from './fixtures/chainRun';
import { chooseOption } from './fixtures/pageActions';
import {
  openPanel,
  PanelServer,
  testEnvironment,
  type OpenedPanel,
  type TestEnvironment,
} from './harness/panelHarness';

const PHOTOS = path.join(sharedDir(), 'data', 'photos');

describe('dataset browser panel (Chromium, real host logic)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let env: TestEnvironment;
  let opened: OpenedPanel<DatasetContract>;
  let logic: DatasetBrowser;
  let broken: string;
  let runsRoot: string;
  const HORSE = '000000000049'; // horse + person + potted plant

  before(async function () {
    if (!fs.existsSync(PHOTOS)) this.skip(); // shared data absent: nothing real to browse
    broken = makeBrokenRoot();
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
    env = testEnvironment();
    // a run with label maps of the horse image (issue 8), found through the workspace folders
    runsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-mask-runs-'));
    const chain = path.join(runsRoot, 'runs', 'chain-run');
    fs.mkdirSync(chain, { recursive: true });
    writeChainReports(
      chain,
      'VOC chain',
      { cam: 0.5, camBest: { threshold: 0.1, miou: 0.52 }, irLabels: 0.8, pseudo: 0.7, segmentation: 0.68 },
      false,
    );
    await writeChainMasks(chain, PHOTOS, [HORSE]);
    env.workspaceFolders = [runsRoot];
    logic = new DatasetBrowser(env, PHOTOS);
    opened = await openPanel<DatasetContract>(browser.page, server, 'dataset', () => logic);
  });

  after(async () => {
    opened?.dispose();
    await logic?.idle();
    await browser?.close();
    await server?.close();
    env?.cleanup();
    if (broken) fs.rmSync(broken, { recursive: true, force: true });
    if (runsRoot) fs.rmSync(runsRoot, { recursive: true, force: true });
  });

  it('shows the photos as thumbnails with a count and classes with counts', async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=visible-count][data-count="108"]');
    await page.waitForSelector('[data-testid=tile] .thumb img');
    const rendered = await page.locator('[data-testid=tile]').count();
    assert.ok(rendered > 0 && rendered < 108, `only rows in view are in the DOM (got ${rendered} of 108)`);
    assert.equal((await page.locator('[data-class=person] .count').textContent())?.trim(), '71');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=tile] .thumb img').length >= 10);
    await screenshot(page, 'webview', 'dataset-grid');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('filters by class: the visible count and the tiles change', async () => {
    const page = browser.page;
    await page.click('[data-testid=class-filter][data-class=dog]');
    await page.waitForSelector('[data-testid=visible-count][data-count="9"]');
    assert.equal(await page.locator('[data-testid=tile]').count(), 9);
    assert.match((await page.textContent('[data-testid=visible-count]')) ?? '', /9 of 108 images with dog/);
    await page.click('[data-testid=class-filter][data-class=all]');
    await page.waitForSelector('[data-testid=visible-count][data-count="108"]');
  });

  it('filters by several classes (all of / any of) and by co-occurrence (has A, not B)', async () => {
    const page = browser.page;
    const count = async (): Promise<number> =>
      Number(await page.getAttribute('[data-testid=visible-count]', 'data-count'));
    const tileClasses = (): Promise<string[][]> =>
      page
        .locator('[data-testid=tile]')
        .evaluateAll((els) =>
          els.map((e) => [...e.querySelectorAll('.dots .swatch')].map((d) => d.getAttribute('title') ?? '')),
        );
    await page.click('[data-testid=class-filter][data-class=person]');
    await page.waitForSelector('[data-testid=visible-count] >> text=images with person');
    const person = await count();
    await page.click('[data-testid=class-filter][data-class=dog]'); // a second class: all of (default)
    await page.waitForSelector('[data-testid=visible-count] >> text=images with all of dog, person');
    const both = await count();
    assert.ok(both > 0 && both < 9, `some dogs are with people (${both})`);
    for (const cs of await tileClasses()) assert.ok(cs.includes('dog') && cs.includes('person'), cs.join());
    await page.click('[data-testid=filter-any]');
    await page.waitForSelector('[data-testid=visible-count] >> text=images with any of dog, person');
    assert.equal(await count(), 9 + person - both, 'any of: the union');
    // co-occurrence: dog and not person
    await page.click('[data-testid=class-filter][data-class=person]'); // drop person from the required ones
    await page.click('[data-testid=class-filter][data-class=person] [data-testid=exclude-class]');
    await page.waitForSelector('[data-testid=visible-count] >> text=images with dog · without person');
    assert.equal(await count(), 9 - both);
    for (const cs of await tileClasses()) assert.ok(cs.includes('dog') && !cs.includes('person'), cs.join());
    assert.equal(await page.getAttribute('[data-testid=class-filter][data-class=person]', 'data-state'), 'exclude');
    await screenshot(page, 'webview', 'dataset-filter-cooccurrence');
    await page.click('[data-testid=class-filter][data-class=all]');
    await page.waitForSelector('[data-testid=visible-count][data-count="108"]');
  });

  it('opens the detail view with the GT mask overlay; toggle and opacity work', async () => {
    const page = browser.page;
    await page.click('[data-testid=class-filter][data-class=horse]');
    await page.waitForSelector('[data-testid=visible-count][data-count="1"]');
    await page.click('[data-testid=tile]');
    const overlay = page.locator('[data-testid=mask-overlay]');
    await overlay.waitFor();
    assert.equal(await overlay.isVisible(), true);
    assert.match((await page.textContent('[data-testid=mask-classes]')) ?? '', /horse: \d+\.\d% of pixels/);
    await page.locator('[data-testid=mask-opacity]').fill('0.3');
    assert.equal(await overlay.evaluate((el) => (el as HTMLElement).style.opacity), '0.3');
    await screenshot(page, 'webview', 'dataset-detail-mask');
    await page.click('[data-testid=toggle-mask]');
    await page.waitForFunction(() => (document.querySelector('[data-testid=mask-overlay]') as HTMLElement).hidden);
    await page.click('[data-testid=toggle-mask]');
    assert.equal(await overlay.isVisible(), true);
  });

  it('restores the filter and the open image after the webview reloads', async () => {
    const page = browser.page;
    await page.reload();
    await page.waitForSelector('[data-testid=visible-count][data-count="1"]');
    await page.locator('[data-testid=mask-overlay]').waitFor();
    assert.equal(await page.locator('[data-testid=mask-opacity]').inputValue(), '0.3');
  });

  it("overlays a run's pseudo masks beside the GT, with the per-image IoU, and keeps the choice", async () => {
    const page = browser.page;
    const chain = path.join(runsRoot, 'runs', 'chain-run');
    await page.locator('[data-testid=run-masks]').waitFor();
    const options = await page.locator('[data-testid=run-masks] vscode-option').allInnerTexts();
    assert.deepEqual(
      options.map((o) => o.trim()),
      [
        'run masks: none',
        'VOC chain · masks/ir · IR labels',
        'VOC chain · masks/rw · pseudo mask (+RW)',
        'VOC chain · masks/seg · segmentation',
      ],
    );
    await chooseOption(page, 'run-masks', `${chain}\nrw`);
    const overlay = page.locator('[data-testid=run-mask-overlay]');
    await overlay.waitFor();
    await page.waitForFunction(
      () =>
        ((document.querySelector('[data-testid=run-mask-overlay]') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
    );
    assert.equal(await page.locator('[data-testid=mask-overlay]').count(), 1, 'the GT stays beside it');
    const gt = await readClassMask(path.join(PHOTOS, 'SegmentationClass', `${HORSE}.png`));
    const expected = labelMapIou(await readClassMask(path.join(chain, 'masks', 'rw', `${HORSE}.png`)), gt).miou!;
    assert.equal(
      Number(await page.getAttribute('[data-testid=run-mask-iou]', 'data-iou')),
      Number(expected.toFixed(4)),
    );
    assert.match(await page.innerText('[data-testid=run-mask-caption]'), /VOC chain · masks\/rw · IoU vs GT \d+\.\d%/);
    assert.equal(
      await overlay.evaluate((el) => (el as HTMLElement).style.opacity),
      '0.3',
      'one opacity for both overlays',
    );
    await screenshot(page, 'webview', 'dataset-run-masks');
    await page.reload(); // the choice is kept
    await page.locator('[data-testid=run-mask-overlay]').waitFor();
    await chooseOption(page, 'run-masks', '');
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-testid=run-mask-overlay]') &&
        !!document.querySelector('[data-testid=mask-overlay]'),
    );
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('tells two runs of one name apart by start time, in the picker and the caption', async () => {
    const page = browser.page;
    const chain = path.join(runsRoot, 'runs', 'chain-run');
    const again = path.join(runsRoot, 'runs', 'chain-run-again'); // the same config run again a day later
    fs.cpSync(chain, again, { recursive: true });
    const runFile = path.join(again, 'run.json');
    const record = JSON.parse(fs.readFileSync(runFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(runFile, JSON.stringify({ ...record, id: 'chain-run-again', created: '2026-12-02T07:30:00Z' }));
    try {
      await page.reload(); // the webview asks for the mask sources once per load
      await page.locator('[data-testid=run-masks]').waitFor();
      const options = (await page.locator('[data-testid=run-masks] vscode-option').allInnerTexts()).map((o) =>
        o.trim(),
      );
      assert.ok(options.includes('VOC chain · 2026-12-01 08:00 · masks/rw · pseudo mask (+RW)'), options.join('\n'));
      assert.ok(options.includes('VOC chain · 2026-12-02 07:30 · masks/rw · pseudo mask (+RW)'), options.join('\n'));
      await chooseOption(page, 'run-masks', `${again}\nrw`);
      await page.waitForSelector('[data-testid=run-mask-caption] >> text=VOC chain · 2026-12-02 07:30 · masks/rw');
      await chooseOption(page, 'run-masks', '');
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });

  it('with no root, offers the VOC-layout roots found in the workspace', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-ws-'));
    fs.mkdirSync(path.join(ws, 'data'));
    fs.symlinkSync(PHOTOS, path.join(ws, 'data', 'photos'));
    const env2 = testEnvironment();
    env2.workspaceFolders = [ws];
    const page = await browser.context.newPage();
    try {
      const secondLogic = new DatasetBrowser(env2);
      const second = await openPanel<DatasetContract>(page, server, 'dataset', () => secondLogic);
      await page.waitForSelector('[data-testid=welcome] >> text=Open a VOC-layout dataset root');
      await page.waitForSelector('[data-testid=suggested-root]');
      await screenshot(page, 'webview', 'dataset-welcome');
      await page.locator('[data-testid=suggested-root]', { hasText: path.join(ws, 'data', 'photos') }).click();
      await page.waitForSelector('[data-testid=visible-count][data-count="108"]');
      assert.equal(await page.locator('[data-testid=welcome]').count(), 0);
      second.dispose();
      await secondLogic.idle();
    } finally {
      await page.close();
      env2.cleanup();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it('says clearly when a root is not VOC-layout, and stays usable', async () => {
    const page = browser.page;
    env.nextPick = os.tmpdir();
    await page.click('[data-testid=open-root]');
    await page.waitForSelector('.banner-error >> text=not a VOC-layout dataset');
    assert.equal(await page.locator('[data-testid=tile]').count(), 0);
    await screenshot(page, 'webview', 'dataset-not-voc');
    env.nextPick = broken;
    await page.click('[data-testid=open-root]');
    await page.waitForSelector('[data-testid=visible-count][data-count="3"]');
    // unreadable image -> tile says so; image without mask -> the detail view says so, the photo still shows
    await page.waitForSelector('[data-id=corrupt] .thumb-error');
    assert.equal((await page.textContent('[data-id=corrupt] .thumb-error'))?.trim(), 'unreadable');
    await page.click('[data-id=nomask]');
    await page.waitForSelector('.banner-warning >> text=No ground-truth mask for nomask');
    await page.locator('[data-testid=detail-image]').waitFor();
    await page.click('[data-id=corrupt]');
    await page.waitForSelector('.banner-error >> text=Unreadable image');
    await screenshot(page, 'webview', 'dataset-broken-root');
    assert.deepEqual(await opened.cspViolations(), []);
  });
});

/** A VOC-layout root with one good image, one corrupt JPEG and one image without a mask. */
function makeBrokenRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-broken-voc-'));
  fs.mkdirSync(path.join(root, 'JPEGImages'));
  fs.mkdirSync(path.join(root, 'SegmentationClass'));
  const src = '000000000042'; // a real photo with a dog
  fs.copyFileSync(path.join(PHOTOS, 'JPEGImages', `${src}.jpg`), path.join(root, 'JPEGImages', 'good.jpg'));
  fs.copyFileSync(
    path.join(PHOTOS, 'SegmentationClass', `${src}.png`),
    path.join(root, 'SegmentationClass', 'good.png'),
  );
  fs.copyFileSync(path.join(PHOTOS, 'JPEGImages', `${src}.jpg`), path.join(root, 'JPEGImages', 'nomask.jpg'));
  fs.writeFileSync(path.join(root, 'JPEGImages', 'corrupt.jpg'), Buffer.from('not a jpeg at all'));
  fs.writeFileSync(
    path.join(root, 'labels.json'),
    JSON.stringify({ good: ['dog'], nomask: ['dog'], corrupt: ['cat'] }),
  );
  return root;
}
