// The chain table of the mIoU report panel (issue 8) in real Chromium against the real host logic: CAM mIoU
// (fixed threshold and the sweep's best), IR labels, pseudo masks (+RW) and the segmenter per run, each with its
// split, numbers read from the fixture's reports; the published row labelled and shown only beside VOC runs;
// per-class IoU along the chain; single-valued metrics shown as numbers, not near-empty charts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { MetricsAppended, ReportContract } from '../../protocol/webview/report';
import { PUBLISHED_VOC } from '../../common/chain';
import { PollingRunWatcher } from '../../extension/panels/report/pollingRunWatcher';
import { ReportSession } from '../../extension/panels/report/reportSession';
import { listRunChoices } from '../../extension/panels/report/runReports';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { writeChainReports } from './fixtures/chainRun';
import { chooseOption } from './fixtures/pageActions';
import { appendMetrics, trainingLines } from './fixtures/runFolders';
import { openPanel, PanelServer, type OpenedPanel } from './harness/panelHarness';

type Report = { miou: number; split: string; best?: { threshold: number | null; miou: number } };
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

describe('mIoU report panel: the chain CAM -> pseudo mask -> segmenter (Chromium, real host logic)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let opened: OpenedPanel<ReportContract>;
  let tmp: string;
  let voc: string;
  let synth: string;
  let vocReports: Record<string, Report>;
  let synthReports: Record<string, Report>;

  let page: Page;
  const open = async (runs: string[]): Promise<void> => {
    opened?.dispose();
    page = page ? await browser.context.newPage() : browser.page; // a page serves one panel
    await page.setViewportSize({ width: 1360, height: 1000 });
    opened = await openPanel<ReportContract>(page, server, 'report', (rpc) => {
      const session = new ReportSession(
        { listRuns: () => listRunChoices([tmp]), pickRunFolders: async () => [], watcher: new PollingRunWatcher(100) },
        runs,
      );
      session.attach({
        sendSnapshot: () => void rpc.sendSnapshot(),
        notifyMetrics: (m: MetricsAppended) => rpc.notify('report/metrics', m),
      });
      return session;
    });
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-chain-report-'));
    voc = path.join(tmp, 'runs', 'voc-pole');
    synth = path.join(tmp, 'runs', 'synthetic-pole');
    fs.mkdirSync(voc, { recursive: true });
    fs.mkdirSync(synth, { recursive: true });
    vocReports = writeChainReports(
      voc,
      'VOC POLE',
      { cam: 0.583, camBest: { threshold: 0.1, miou: 0.594 }, irLabels: 0.861, pseudo: 0.731, segmentation: 0.702 },
      false,
    ) as Record<string, Report>;
    synthReports = writeChainReports(
      synth,
      'synthetic POLE',
      { cam: 0.412, camBest: { threshold: 0.2, miou: 0.437 }, irLabels: 0.655, pseudo: 0.52, segmentation: 0.553 },
      true,
    ) as Record<string, Report>;
    appendMetrics(voc, [
      ...trainingLines('clims', 0, 30),
      { time: 1764144100, stage: 'eval_cams', step: 0, miou: 0.583, best_miou: 0.594, best_threshold: 0.1 },
    ]);
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1360, height: 1000 } });
  });

  after(async () => {
    opened?.dispose();
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const cellText = (run: string, column: string): Promise<string> =>
    page.locator(`[data-testid=chain-row][data-run="${run}"] td[data-column=${column}]`).innerText();

  it('shows each kind with its split, read from the reports; published figures labelled, apart from ours', async () => {
    await open([voc, synth]);
    await page.waitForSelector('[data-testid=chain-table]');
    for (const [run, reports] of [
      [voc, vocReports],
      [synth, synthReports],
    ] as const) {
      const cam = reports.eval_cams;
      assert.match(await cellText(run, 'cam'), new RegExp(`^${pct(cam.miou)} @ 0\\.15\\s*train$`));
      assert.match(
        await cellText(run, 'cam-best'),
        new RegExp(`^${pct(cam.best!.miou)} @ ${cam.best!.threshold!.toFixed(2)}\\s*train$`),
      );
      assert.match(await cellText(run, 'ir_labels'), new RegExp(`^${pct(reports.eval_ir.miou)}\\s*train$`));
      assert.match(await cellText(run, 'pseudo_mask'), new RegExp(`^${pct(reports.eval_rw.miou)}\\s*train$`));
      assert.match(await cellText(run, 'segmentation'), new RegExp(`^${pct(reports.eval_seg.miou)}\\s*val$`));
    }
    // published rows: one per method, tagged, in their own group; their values are METHOD §8's
    const published = page.locator('[data-testid=published-group] [data-testid=published-row]');
    assert.equal(await published.count(), PUBLISHED_VOC.length);
    assert.equal(
      await page.locator('[data-testid=published-group] [data-testid=published-tag]').count(),
      PUBLISHED_VOC.length,
    );
    assert.equal(
      await page.locator('[data-testid=chain-row] [data-testid=published-tag]').count(),
      0,
      'measured rows are never tagged published',
    );
    const pole = (await published.first().locator('[data-testid=published-value] .chain-miou').allInnerTexts()).map(
      (t) => t.trim(),
    );
    assert.deepEqual(
      pole,
      PUBLISHED_VOC[0].figures.map((f) => pct(f.miou)),
    );
    assert.deepEqual(pole, ['59.0%', '74.2%', '71.5%']);
    const clims = (await published.nth(1).locator('[data-testid=published-value] .chain-miou').allInnerTexts()).map(
      (t) => t.trim(),
    );
    assert.deepEqual(clims, ['56.6%', '70.5%', '70.4%']);
    await screenshot(page, 'webview', 'report-chain');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('per-class IoU along the chain, and single-valued metrics as numbers', async () => {
    const table = page.locator('[data-testid=chain-per-class]');
    await table.waitFor();
    assert.equal(await table.locator('tbody tr[data-class]').count(), 21);
    const person = (await table.locator('tr[data-class=person] td.num').allInnerTexts()).map(Number);
    const expected = ['eval_cams', 'eval_ir', 'eval_rw', 'eval_seg'].map((id) =>
      Number(((vocReports[id] as unknown as { per_class_iou: number[] }).per_class_iou[15] * 100).toFixed(1)),
    );
    assert.deepEqual(person, expected);
    const single = page.locator('[data-testid=single-metric]');
    assert.deepEqual((await single.evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')))).sort(), [
      'best_miou',
      'best_threshold',
      'miou',
    ]);
    assert.match(await single.filter({ hasText: 'best_threshold' }).innerText(), /eval_cams · best_threshold\s*0\.1/);
    assert.equal(await page.locator('[data-testid=curve-miou]').count(), 0, 'no near-empty chart for a single number');
    assert.equal(await page.locator('[data-testid=curve-loss]').count(), 1, 'the training curves still draw');
    await page.locator('[data-testid=chain-per-class]').scrollIntoViewIfNeeded();
    await screenshot(page, 'webview', 'report-chain-per-class');
  });

  it('no published figures beside synthetic runs only', async () => {
    await open([synth]);
    await page.waitForSelector(`[data-testid=chain-row][data-run="${synth}"]`);
    assert.equal(await page.locator('[data-testid=published-row]').count(), 0);
    assert.equal(await page.locator('[data-testid=published-tag]').count(), 0);
    assert.ok((await page.locator('[data-testid=chain-table] [data-testid=synthetic-tag]').count()) >= 1);
    await chooseOption(page, 'add-run', voc);
    await page.waitForSelector('[data-testid=published-row]');
    await screenshot(page, 'webview', 'report-chain-synthetic-then-voc');
  });
});
