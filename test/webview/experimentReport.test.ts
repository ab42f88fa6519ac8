// The experiment table in the mIoU report (issue 10, docs/EXPERIMENTS.md), real Chromium and real host logic:
// run folders of an experiment written here, the table aggregated by the real engine (`wsss_engine experiment
// table`), shown beside the focused run: mean ± std over seeds, the paired difference with its 95% CI, the
// paper's values labelled published.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExperimentState } from '../../protocol/experiments';
import type { ReportContract } from '../../protocol/webview/report';
import { PollingRunWatcher } from '../../extension/panels/report/pollingRunWatcher';
import { ReportSession } from '../../extension/panels/report/reportSession';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { enginePython, repoRoot } from '../support/paths';
import { writeRun } from './fixtures/runFolders';
import { openPanel, PanelServer, type OpenedPanel } from './harness/panelHarness';

const MIOU: Record<string, number> = { 'gt-s0': 0.4, 'gt-s1': 0.42, 'sel-s0': 0.45, 'sel-s1': 0.5 };

describe('mIoU report: the experiment table (Chromium, real host logic, engine aggregation)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let opened: OpenedPanel<ReportContract>;
  let tmp: string;

  before(async function () {
    if (!fs.existsSync(enginePython())) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-exp-report-'));
    const exp = path.join(tmp, 'study');
    for (const [name, miou] of Object.entries(MIOU)) writeRun(exp, { name, miou });
    const unit = (name: string, variant: string, seed: number) => ({
      name: `runs/${name}`,
      kind: 'variant' as const,
      variant,
      seed,
      runDir: `runs/${name}`,
      config: `configs/runs__${name}.json`,
      stages: ['eval'],
      needs: [],
      status: 'completed' as const,
      runId: name,
    });
    const state: ExperimentState = {
      formatVersion: 1,
      name: 'study',
      description: '',
      experimentFile: path.join(tmp, 'study.wsss-experiment.json'),
      created: '2026-12-02T00:00:00Z',
      updated: '2026-12-02T00:00:00Z',
      status: 'completed',
      seeds: [0, 1],
      reference: 'gt',
      figures: { cam: 'eval' },
      publishedSource: 'POLE Table 1',
      variants: [
        { name: 'gt', label: 'CLIMS (GT word)', published: { cam: 56.6 } },
        { name: 'sel', label: 'POLE selection', published: { cam: 58.7 } },
      ],
      units: [unit('gt-s0', 'gt', 0), unit('sel-s0', 'sel', 0), unit('gt-s1', 'gt', 1), unit('sel-s1', 'sel', 1)],
      error: null,
    };
    fs.writeFileSync(path.join(exp, 'experiment.json'), JSON.stringify(state, null, 2));
    execFileSync(enginePython(), ['-m', 'wsss_engine', 'experiment', 'table', state.experimentFile, '--dir', exp], {
      env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine') },
    });
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    opened = await openPanel<ReportContract>(browser.page, server, 'report', (rpc) => {
      const session = new ReportSession(
        { listRuns: async () => [], pickRunFolders: async () => [], watcher: new PollingRunWatcher(100) },
        [path.join(exp, 'runs', 'sel-s0')],
      );
      session.attach({
        sendSnapshot: () => void rpc.sendSnapshot(),
        notifyMetrics: (m) => rpc.notify('report/metrics', m),
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

  it('shows mean ± std, the paired difference with its CI, and the published values', async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=experiment-table]');
    const cells = async (variant: string) =>
      page
        .locator(`[data-testid=experiment-row][data-variant=${variant}] td`)
        .evaluateAll((tds) => tds.map((td) => td.textContent?.trim()));
    const gt = await cells('gt');
    const sel = await cells('sel');
    assert.deepEqual(gt.slice(0, 3), ['CLIMS (GT word) (reference)', '2', '41.0 ± 1.4']);
    // diffs per seed +5.0 and +8.0: mean +6.5, t(0.975, 1) = 12.706, sd 2.12 / sqrt 2 -> half-width 19.1
    assert.deepEqual(sel.slice(0, 4), ['POLE selection', '2', '47.5 ± 3.5', '+6.5 [-12.6, +25.6]']);
    assert.equal(sel.at(-1), '58.7');
    assert.match((await page.textContent('[data-testid=experiment-table] thead')) ?? '', /CAM \(published\)/);
    assert.match((await page.textContent('[data-testid=experiment-section]')) ?? '', /SYNTHETIC.*t-distribution/s);
    await screenshot(page, 'webview', 'report-experiment-table');
    assert.deepEqual(await opened.cspViolations(), []);
  });
});
