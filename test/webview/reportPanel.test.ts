// mIoU report panel in real Debian Chromium against the real host logic (extension/panels/report) on run
// folders written here: per-class IoU, threshold sweep, run comparison, live metrics.jsonl (throttled ~1 Hz,
// a half-written line never shown), an older run folder without reports.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MetricsAppended, ReportContract } from '../../protocol/webview/report';
import { PollingRunWatcher } from '../../extension/panels/report/pollingRunWatcher';
import { ReportSession } from '../../extension/panels/report/reportSession';
import { listRunChoices } from '../../extension/panels/report/runReports';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { appendMetrics, perClassIou, trainingLines, writeRun } from './fixtures/runFolders';
import { chooseOption, nextFrames } from './fixtures/pageActions';
import { chartData } from './harness/chartData';
import { openPanel, PanelServer, type OpenedPanel } from './harness/panelHarness';

describe('mIoU report panel (Chromium, real host logic, run folders)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let opened: OpenedPanel<ReportContract>;
  let tmp: string;
  let pole: string;
  let gt: string;
  let training: string;
  let edge: string;
  const updates: { at: number; rows: number }[] = [];

  const metricsCount = (): Promise<number> =>
    browser.page.locator('[data-testid=metrics-count]').getAttribute('data-count').then(Number);

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-report-'));
    pole = writeRun(tmp, {
      name: 'pole-synthetic',
      miou: 0.52,
      moreReports: { baseline_eval: 0.44 },
      metrics: [...trainingLines('baseline', 0, 60), ...trainingLines('clims', 0, 60)],
    });
    gt = writeRun(tmp, { name: 'clims-gt-prompt', miou: 0.46, metrics: trainingLines('clims', 0, 40) });
    writeRun(tmp, { name: 'older-run', old: true });
    edge = writeRun(tmp, { name: 'edge-of-sweep', miou: 0.4, bestThreshold: 0.05 });
    training = writeRun(tmp, { name: 'training-now', status: 'running', metrics: trainingLines('clims', 0, 10) });
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1280, height: 1000 } });
    opened = await openPanel<ReportContract>(browser.page, server, 'report', (rpc) => {
      const session = new ReportSession(
        {
          listRuns: () => listRunChoices([tmp]),
          pickRunFolders: async () => [],
          watcher: new PollingRunWatcher(100),
        },
        [pole],
      );
      session.attach({
        sendSnapshot: () => void rpc.sendSnapshot(),
        notifyMetrics: (m: MetricsAppended) => {
          updates.push({ at: Date.now(), rows: m.rows.length });
          rpc.notify('report/metrics', m);
        },
      });
      return session;
    });
  });

  after(async () => {
    opened?.dispose();
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('shows a run: IoU bars for 21 classes, the sweep with the chosen threshold, curves, SYNTHETIC', async () => {
    const page = browser.page;
    await page.waitForSelector(`[data-testid=focus-detail][data-run="${pole}"]`);
    const bars = await chartData(page, 'iou-bars');
    assert.equal(bars.labels.length, 21);
    assert.equal(bars.datasets[0].data[bars.labels.indexOf('diningtable')], null, 'a class absent from GT: no bar');
    assert.match(bars.description, /diningtable n\/a/);
    assert.equal(bars.datasets[0].data[0], perClassIou(0.52)[0]);
    const sweep = await chartData(page, 'sweep-chart');
    assert.deepEqual(
      sweep.datasets.map((d) => d.label),
      ['pole-synthetic', 'chosen 0.25', 'best 52.0% @ 0.25'],
    );
    assert.deepEqual(
      (sweep.datasets[1].data as { x: number }[]).map((p) => p.x),
      [0.25, 0.25],
    );
    assert.equal(sweep.datasets[0].data.length, 10);
    assert.equal(await page.locator('[data-testid=sweep-edge]').count(), 0, 'the best is inside the swept range');
    assert.match(
      (await page.textContent('[data-testid=focus-summary]')) ?? '',
      /mIoU 52\.0% on val \(40 images, background threshold 0\.25/,
    );
    assert.ok(
      (await page.locator('[data-testid=synthetic-tag]').count()) >= 2,
      'tagged in the chip, table and heading',
    );
    assert.equal(await metricsCount(), 120);
    const loss = await chartData(page, 'curve-loss');
    assert.deepEqual(
      loss.datasets.map((d) => [d.label, d.data.length]),
      [
        ['baseline', 60],
        ['clims', 60],
      ],
      'one line per stage, every step',
    );
    const otmNote = page.locator('[data-metric=otm] [data-testid=curve-note]');
    assert.match((await otmNote.textContent()) ?? '', /OTM, object–text matching/);
    assert.match((await page.textContent('[data-testid=loss-formula]')) ?? '', /α·OTM \+ β·BTM \+ γ·CBS \+ δ·REG/);
    // Zoom: drag across the loss curve narrows its x range; a double-click resets it.
    const canvas = page.locator('[data-testid=curve-loss] canvas');
    const xRange = (): Promise<number[]> =>
      page.locator('[data-testid=curve-loss]').evaluate((el) => {
        const x = (el as unknown as { chart: { scales: { x: { min: number; max: number } } } }).chart.scales.x;
        return [x.min, x.max];
      });
    const full = await xRange();
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    // Chart.js handles pointer events on the next animation frame, one per event type per frame (the latest
    // wins), and the zoom plugin swallows the first click it sees after a drag. Let each gesture's events be
    // handled before the next gesture, so that the drag's click is the one swallowed, not the legend's.
    await nextFrames(page);
    const zoomed = await xRange();
    assert.ok(zoomed[1] - zoomed[0] < (full[1] - full[0]) / 2, `zoomed in: ${full} -> ${zoomed}`);
    await canvas.dblclick();
    await nextFrames(page);
    assert.deepEqual(await xRange(), full);
    // Clicking a legend entry hides that stage's line.
    const hit = await page.locator('[data-testid=curve-loss]').evaluate((el) => {
      const c = el as unknown as {
        chart: { legend: { legendHitBoxes: { left: number; top: number; height: number }[] } };
      };
      const b = c.chart.legend.legendHitBoxes[0];
      return { x: b.left + 6, y: b.top + b.height / 2 };
    });
    await page.mouse.click(box.x + hit.x, box.y + hit.y);
    // Wait for the click to be handled (see above), then check both lines.
    await page.waitForFunction(
      () =>
        !(
          document.querySelector('[data-testid=curve-loss]') as unknown as {
            chart: { isDatasetVisible(i: number): boolean };
          }
        ).chart.isDatasetVisible(0),
      undefined,
      { timeout: 5000 },
    );
    assert.deepEqual(
      (await chartData(page, 'curve-loss')).datasets.map((d) => d.hidden),
      [true, false],
    );
    await screenshot(page, 'webview', 'report-single-run');
    await chooseOption(page, 'report-select', 'baseline_eval'); // a run with two evaluations
    await page.waitForSelector('[data-testid=focus-summary] >> text=mIoU 44.0%');
    assert.equal((await page.textContent('[data-testid=compare-miou]'))?.trim(), '44.0%');
    await chooseOption(page, 'report-select', 'eval');
    await page.waitForSelector('[data-testid=focus-summary] >> text=mIoU 52.0%');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('compares runs and switches the focused run', async () => {
    const page = browser.page;
    await chooseOption(page, 'add-run', gt);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-row]').length === 2);
    const mious = await page.locator('[data-testid=compare-miou]').allTextContents();
    assert.deepEqual(
      mious.map((t) => t.trim()),
      ['52.0%', '46.0%'],
    );
    const bars = await chartData(page, 'iou-bars');
    assert.deepEqual(
      bars.datasets.map((d) => d.label),
      ['pole-synthetic (SYNTHETIC)', 'clims-gt-prompt (SYNTHETIC)'],
    );
    const sofa = bars.labels.indexOf('sofa');
    assert.deepEqual(
      bars.datasets.map((d) => d.data[sofa]),
      [perClassIou(0.52)[sofa], perClassIou(0.46)[sofa]],
    );
    await screenshot(page, 'webview', 'report-two-runs');
    await page.click(`[data-testid=compare-row][data-run="${gt}"]`);
    await page.waitForSelector(`[data-testid=focus-detail][data-run="${gt}"]`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=metrics-count]')?.getAttribute('data-count') === '40',
    );
    assert.match((await page.textContent('[data-testid=focus-summary]')) ?? '', /mIoU 46\.0%/);
  });

  it('three runs: every bar value labelled once, no two labels overlapping; a sweep best at its edge is flagged', async () => {
    const page = browser.page;
    await chooseOption(page, 'add-run', edge);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-row]').length === 3);
    const bars = await chartData(page, 'iou-bars');
    assert.equal(bars.datasets.length, 3);
    const values = bars.datasets.flatMap((d) => d.data).filter((v) => v !== null).length;
    assert.equal(bars.valueLabels.length, values, 'every bar keeps its value label');
    for (const [i, a] of bars.valueLabels.entries()) {
      for (const b of bars.valueLabels.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `labels ${a.text} and ${b.text} overlap`);
      }
    }
    await screenshot(page, 'webview', 'report-three-runs');
    await page.click(`[data-testid=compare-row][data-run="${edge}"]`);
    await page.waitForSelector(`[data-testid=focus-detail][data-run="${edge}"]`);
    assert.match(
      (await page.textContent('[data-testid=sweep-edge]')) ?? '',
      /best background threshold \(0\.05\) is at the low edge of the swept range 0\.05–0\.50/,
    );
    await page.click(`[data-testid=run-chip][data-run="${edge}"] [data-testid=remove-run]`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-row]').length === 2);
  });

  it('grows the curves live as metrics.jsonl is appended, ~1 Hz, never showing a half-written line', async () => {
    const page = browser.page;
    await chooseOption(page, 'add-run', training);
    await page.click(`[data-testid=compare-row][data-run="${training}"]`);
    await page.waitForSelector(`[data-testid=focus-detail][data-run="${training}"]`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=metrics-count]')?.getAttribute('data-count') === '10',
    );
    assert.match((await page.textContent('[data-testid=focus-detail]')) ?? '', /No evaluation report yet/);

    updates.length = 0;
    const start = Date.now();
    for (let step = 10; step < 30; step += 2) {
      appendMetrics(training, trainingLines('clims', step, step + 2));
      await new Promise((r) => setTimeout(r, 150));
    }
    const half = JSON.stringify(trainingLines('clims', 30, 31)[0]);
    fs.appendFileSync(path.join(training, 'metrics.jsonl'), half.slice(0, 25));
    await page.waitForFunction(
      () => document.querySelector('[data-testid=metrics-count]')?.getAttribute('data-count') === '30',
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await metricsCount(), 30, 'the half-written line is not shown');
    const elapsed = (Date.now() - start) / 1000;
    assert.ok(updates.length >= 2, `several live updates (${updates.length})`);
    assert.ok(
      updates.length <= Math.ceil(elapsed) + 1,
      `throttled to ~1 Hz: ${updates.length} updates in ${elapsed.toFixed(1)} s`,
    );
    fs.appendFileSync(path.join(training, 'metrics.jsonl'), `${half.slice(25)}\n`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=metrics-count]')?.getAttribute('data-count') === '31',
    );
    await screenshot(page, 'webview', 'report-live-metrics');
  });

  it('an older run folder without reports says so, and the rest stays usable', async () => {
    const page = browser.page;
    const older = path.join(tmp, 'runs', 'older-run');
    await chooseOption(page, 'add-run', older);
    await page.click(`[data-testid=compare-row][data-run="${older}"]`);
    await page.waitForSelector(`[data-testid=focus-detail][data-run="${older}"]`);
    const text = (await page.textContent('[data-testid=focus-detail]')) ?? '';
    assert.match(text, /no "formatVersion": written by an older engine/);
    assert.match(text, /No evaluation report yet/);
    assert.match((await page.textContent('[data-testid=metrics-message]')) ?? '', /No metrics yet/);
    assert.equal(await page.locator('[data-testid=compare-row]').count(), 4);
    await screenshot(page, 'webview', 'report-older-run');
    await page.click(`[data-testid=run-chip][data-run="${older}"] [data-testid=remove-run]`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-row]').length === 3);
  });
});
