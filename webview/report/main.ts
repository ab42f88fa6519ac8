/**
 * mIoU report webview (host: extension/panels/report): the runs being compared (add, remove, focus), a
 * comparison table, per-class IoU bars, the threshold sweep, and the focused run's loss and metric curves
 * from metrics.jsonl, which grow live while the run trains (report/metrics, at most ~1 Hz).
 */
import type {
  MetricRow,
  ReportContract,
  ReportPanelState,
  ReportSnapshot,
  RunView,
} from '../../protocol/webview/report';
import { connectPanel } from '../shared/rpc';
import { adoptStyles, appRoot, banner, button, h, replaceChildren, select } from '../shared/ui';
import { CHAIN_LABEL } from '../../common/chain';
import { chainTable, perClassChain } from './chainTable';
import { experimentSection } from './experimentTable';
import { metricCurves } from './metricCurves';
import reportCss from './report.css';
import {
  comparisonTable,
  iouBars,
  reportOf,
  sweepChart,
  sweepEdgeWarning,
  syntheticTag,
  type ReportPick,
} from './resultViews';

adoptStyles(reportCss);
const panel = connectPanel<ReportContract>();
let snap: ReportSnapshot | undefined;
let rows: MetricRow[] = [];
let metricsMessage: string | null = null;
const root = appRoot();
const transient = h('div', { 'data-testid': 'transient' });
const curves = h('section', { class: 'curves-section' });
let reportStage: Record<string, string> = panel.getState()?.reportStage ?? {};
const pick: ReportPick = (run) => reportOf(run, reportStage[run.runDir]);

function contentWidth(): number {
  return Math.max(480, Math.min(root.clientWidth || 900, 1400) - 32);
}

function setRuns(runDirs: string[], focus: string | null): void {
  const state: ReportPanelState = { runDirs, focus, reportStage };
  panel.setState(state);
  panel
    .request('report/setRuns', { runDirs, focus })
    .catch((e: Error) => replaceChildren(transient, banner('error', e.message)));
}

function runChips(s: ReportSnapshot): HTMLElement {
  const dirs = s.runs.map((r) => r.runDir);
  const chips = s.runs.map((run) => {
    const chip = h(
      'span',
      {
        class: `run-chip${run.runDir === s.focus ? ' focus' : ''}`,
        'data-run': run.runDir,
        'data-testid': 'run-chip',
        title: run.runDir,
      },
      h('button', { class: 'chip-label', 'data-testid': 'focus-run' }, run.label),
      run.synthetic ? syntheticTag() : null,
      h(
        'button',
        { class: 'chip-remove', 'data-testid': 'remove-run', 'aria-label': `Remove ${run.label} from the comparison` },
        '✕',
      ),
    );
    chip.querySelector('.chip-label')!.addEventListener('click', () => setRuns(dirs, run.runDir));
    chip.querySelector('.chip-remove')!.addEventListener('click', () => {
      const rest = dirs.filter((d) => d !== run.runDir);
      setRuns(rest, s.focus === run.runDir ? (rest[0] ?? null) : s.focus);
    });
    return chip;
  });
  const addable = s.available.filter((a) => !dirs.includes(a.runDir));
  const add =
    addable.length > 0
      ? select({
          label: 'Add a run to the comparison',
          testId: 'add-run',
          value: '',
          options: [
            { value: '', label: 'add a run…' },
            ...addable.map((a) => ({
              value: a.runDir,
              label: `${a.label} · ${a.status}${a.synthetic ? ' · SYNTHETIC' : ''}`,
            })),
          ],
          onChange: (v) => v && setRuns([...dirs, v], s.focus ?? v),
        })
      : null;
  return h(
    'div',
    { class: 'toolbar' },
    h('span', { class: 'muted' }, 'Runs:'),
    ...chips,
    add,
    h('span', { class: 'spacer' }),
    button('Browse…', 'browse-runs', () => void panel.request('report/browseRuns', {}), true),
    button('Refresh', 'refresh', () => void panel.request('report/refresh', {}), true),
  );
}

function focusDetail(s: ReportSnapshot, focus: RunView): HTMLElement {
  const width = contentWidth();
  const report = pick(focus);
  const detail = h(
    'div',
    { class: 'focus-detail', 'data-testid': 'focus-detail', 'data-run': focus.runDir },
    h(
      'h2',
      {},
      focus.label,
      ' ',
      focus.synthetic ? syntheticTag() : null,
      h('span', { class: 'muted status-note' }, ` ${focus.status}`),
    ),
  );
  if (focus.synthetic) {
    detail.append(
      banner(
        'warning',
        "SYNTHETIC run: these numbers come from the project's synthetic world with a tiny CLIP, not from PASCAL VOC.",
        "Compare them with other synthetic runs only; the paper's numbers are on VOC 2012 (METHOD §6).",
      ),
    );
  }
  for (const m of focus.messages) detail.append(banner('warning', m));
  if (focus.reports.length > 1) {
    detail.append(
      h(
        'div',
        { class: 'report-pick' },
        h('span', { class: 'muted' }, 'Report: '),
        select({
          label: 'Evaluation report to show',
          testId: 'report-select',
          value: report?.stageId ?? '',
          options: focus.reports.map((r) => ({
            value: r.stageId,
            label: `${CHAIN_LABEL[r.kind]} · ${r.stageId} (${r.split})`,
          })),
          onChange: (v) => {
            reportStage = { ...reportStage, [focus.runDir]: v };
            panel.patchState({ reportStage });
            render();
          },
        }),
      ),
    );
  }
  if (report) {
    detail.append(
      h(
        'p',
        { class: 'summary', 'data-testid': 'focus-summary' },
        `${CHAIN_LABEL[report.kind]} mIoU ${(report.miou * 100).toFixed(1)}% on ${report.split} (${report.nImages} images${Number.isFinite(report.threshold) ? `, background threshold ${report.threshold.toFixed(2)}` : ''}; report ${report.stageId}${report.sourceStage ? ` of ${report.sourceStage}` : ''})`,
      ),
    );
    // side by side when the panel is wide enough, one above the other otherwise
    const chartWidth = width >= 1000 ? Math.min(640, Math.floor((width - 24) / 2)) : Math.min(width, 640);
    const sweep = sweepChart(s.runs, focus, pick, chartWidth);
    const edge = sweepEdgeWarning(report);
    if (edge) {
      const warn = banner('warning', edge.message, edge.hint);
      warn.dataset.testid = 'sweep-edge';
      detail.append(warn);
    }
    detail.append(
      h(
        'div',
        { class: 'charts-row' },
        iouBars(s.runs, focus, pick, chartWidth),
        sweep ?? h('p', { class: 'muted' }, 'This report has no threshold sweep.'),
      ),
    );
  }
  const perClass = focus.reports.length > 1 ? perClassChain(focus) : null;
  if (perClass) detail.append(h('h3', {}, 'IoU per class along the chain (%)'), perClass);
  detail.append(h('h3', {}, 'Training curves (metrics.jsonl)'), curves);
  return detail;
}

function renderCurves(): void {
  replaceChildren(
    curves,
    metricsMessage ? h('p', { class: 'muted', 'data-testid': 'metrics-message' }, metricsMessage) : null,
    h(
      'p',
      { class: 'muted', 'data-testid': 'metrics-count', 'data-count': rows.length },
      `${rows.length} metric lines${snap?.runs.find((r) => r.runDir === snap?.focus)?.status === 'running' ? ' · live' : ''}`,
    ),
    rows.length > 0 ? metricCurves(rows, contentWidth(), snap?.focus ?? '') : null,
  );
}

function render(): void {
  const s = snap;
  if (!s) return;
  const focus = s.runs.find((r) => r.runDir === s.focus);
  const body = h('div', { class: 'report-body scroll' });
  if (s.runs.length === 0) {
    body.append(
      banner(
        'info',
        'No runs to show.',
        s.available.length
          ? 'Add a run above, or browse for a run folder.'
          : 'No run folders (with run.json) in the workspace: browse for one.',
      ),
    );
  } else {
    const onFocus = (d: string): void =>
      setRuns(
        s.runs.map((r) => r.runDir),
        d,
      );
    if (s.experiment) body.append(experimentSection(s.experiment));
    body.append(
      h(
        'section',
        {},
        h('h3', {}, 'CAM → pseudo mask → segmentation (mIoU)'),
        chainTable(s.runs, s.published, s.focus, onFocus),
      ),
    );
    body.append(h('section', {}, h('h3', {}, 'Runs compared'), comparisonTable(s.runs, s.focus, pick, onFocus)));
    if (focus) body.append(focusDetail(s, focus));
  }
  const notice = s.notice ? banner('info', s.notice) : null;
  if (notice) notice.dataset.testid = 'report-notice';
  replaceChildren(root, runChips(s), transient, notice, body);
  renderCurves();
}

panel.onSnapshot((s) => {
  snap = s;
  rows = [...s.metrics];
  metricsMessage = s.metricsMessage;
  replaceChildren(transient);
  render();
});
panel.on('report/metrics', (m) => {
  if (m.runDir !== snap?.focus) return;
  rows = m.reset ? [...m.rows] : rows.concat(m.rows);
  metricsMessage = m.message;
  renderCurves();
});
panel.ready();
