// Benchmark of the mIoU report's Chart.js curves on a long run, in real Chromium against the real host logic:
// a metrics.jsonl of N steps × 2 stages × 6 metrics. Prints figures; asserts nothing.
//   node test/build.mjs && node out/test/webview/bench-report.js [steps=50000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReportContract } from '../../protocol/webview/report';
import { PollingRunWatcher } from '../../extension/panels/report/pollingRunWatcher';
import { ReportSession } from '../../extension/panels/report/reportSession';
import { launchBrowser } from '../support/browser';
import { writeRun } from './fixtures/runFolders';
import { openPanel, PanelServer } from './harness/panelHarness';

const steps = Number(process.argv[2] ?? 50_000);

function lines(stage: string, n: number): object[] {
  return Array.from({ length: n }, (_, step) => ({
    time: 1764144000 + step,
    stage,
    step,
    loss: 1.5 * Math.exp(-step / (n / 4)) + 0.05 * Math.sin(step),
    otm: Math.exp(-step / (n / 3)),
    btm: 0.5 * Math.exp(-step / (n / 2)),
    cbs: 0.1 + 0.01 * Math.cos(step),
    reg: 0.2 * Math.exp(-step / n),
    lr: 0.01 * (1 - step / n),
  }));
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-bench-report-'));
  const run = writeRun(tmp, {
    name: 'long-run',
    miou: 0.5,
    metrics: [...lines('baseline', steps), ...lines('clims', steps)],
  });
  const server = await PanelServer.start();
  const browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
  try {
    const t0 = Date.now();
    const opened = await openPanel<ReportContract>(browser.page, server, 'report', (rpc) => {
      const session = new ReportSession(
        { listRuns: async () => [], pickRunFolders: async () => [], watcher: new PollingRunWatcher(1000) },
        [run],
      );
      session.attach({
        sendSnapshot: () => void rpc.sendSnapshot(),
        notifyMetrics: (m) => rpc.notify('report/metrics', m),
      });
      return session;
    });
    await browser.page.waitForFunction(
      (n) => {
        const fig = document.querySelector('[data-testid=curve-loss]') as unknown as {
          chart?: { data: { datasets: { data: unknown[]; _data?: unknown[] }[] } };
        };
        const ds = fig?.chart?.data.datasets[0];
        return (ds?._data ?? ds?.data)?.length === n; // _data: the whole series under LTTB decimation
      },
      steps,
      { timeout: 300_000 },
    );
    const openMs = Date.now() - t0;
    const redraw = await browser.page.evaluate(() => {
      const out: number[] = [];
      const figs = [...document.querySelectorAll('figure[data-testid^=curve-]')] as unknown as {
        chart: { update(m: string): void };
      }[];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        for (const f of figs) f.chart.update('none');
        out.push(performance.now() - t);
      }
      const ds = (figs[0] as unknown as { chart: { data: { datasets: { _decimated?: unknown[] }[] } } }).chart.data
        .datasets[0];
      return { charts: figs.length, ms: out.sort((a, b) => a - b)[2], drawnPerLine: ds._decimated?.length ?? null };
    });
    console.log(
      JSON.stringify({
        steps,
        points: steps * 2 * 6,
        openToCurvesMs: openMs,
        charts: redraw.charts,
        redrawAllChartsMedianMs: Math.round(redraw.ms),
        drawnPointsPerLine: redraw.drawnPerLine,
      }),
    );
    opened.dispose();
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
