/**
 * Evaluation results (METHOD §6): the table comparing runs, per-class IoU bars for the compared runs, and
 * the background-threshold sweep with the chosen threshold marked. Synthetic runs are tagged everywhere.
 */
import type { EvaluationReport, RunView } from '../../protocol/webview/report';
import { barChart } from '../shared/charts/bar';
import { lineChart } from '../shared/charts/line';
import { percent } from '../shared/charts/svg';
import { h } from '../shared/ui';

/** The report a run is judged by: the one named `stageId` if it has it, else its last one. */
export function reportOf(run: RunView, stageId?: string): EvaluationReport | undefined {
  return run.reports.find((r) => r.stageId === stageId) ?? run.reports.at(-1);
}

/** Which report of each run is shown (the user's choice per run folder). */
export type ReportPick = (run: RunView) => EvaluationReport | undefined;

export function syntheticTag(): HTMLElement {
  return h(
    'span',
    {
      class: 'synthetic-tag',
      'data-testid': 'synthetic-tag',
      title: 'Numbers from the synthetic world, not PASCAL VOC',
    },
    'SYNTHETIC',
  );
}

export function comparisonTable(
  runs: RunView[],
  focus: string | null,
  pick: ReportPick,
  onFocus: (runDir: string) => void,
): HTMLElement {
  const best = Math.max(...runs.map((r) => pick(r)?.miou ?? Number.NEGATIVE_INFINITY));
  const rows = runs.map((run) => {
    const r = pick(run);
    const tr = h(
      'tr',
      {
        class: run.runDir === focus ? 'focus' : '',
        'data-run': run.runDir,
        'data-testid': 'compare-row',
        tabindex: 0,
        title: run.runDir,
      },
      h('td', {}, run.label, ' ', run.synthetic ? syntheticTag() : null),
      h('td', { class: `status status-${run.status}` }, run.status),
      h('td', {}, r ? `${r.stageId} (${r.split}, ${r.nImages} images)` : h('span', { class: 'muted' }, 'no report')),
      h('td', { class: 'num' }, r && Number.isFinite(r.threshold) ? r.threshold.toFixed(2) : '—'),
      h(
        'td',
        { class: `num miou${r && r.miou === best && runs.length > 1 ? ' best' : ''}`, 'data-testid': 'compare-miou' },
        r ? percent(r.miou) : '—',
      ),
      h('td', { class: 'num' }, r?.best ? `${percent(r.best.miou)} @ ${r.best.threshold.toFixed(2)}` : '—'),
    );
    tr.addEventListener('click', () => onFocus(run.runDir));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onFocus(run.runDir);
    });
    return tr;
  });
  return h(
    'table',
    { class: 'compare', 'data-testid': 'compare-table' },
    h(
      'thead',
      {},
      h('tr', {}, ...['run', 'status', 'report', 'threshold', 'mIoU', 'best in sweep'].map((t) => h('th', {}, t))),
    ),
    h('tbody', {}, ...rows),
  );
}

/** Per-class IoU of every compared run that has a report (the focused run first). */
export function iouBars(runs: RunView[], focus: RunView, pick: ReportPick, width: number): HTMLElement {
  const withReports = [focus, ...runs.filter((r) => r !== focus)].filter((r) => pick(r));
  const classes = pick(focus)?.classes ?? pick(withReports[0])?.classes ?? [];
  const series = withReports.slice(0, 8).map((run) => {
    const r = pick(run)!;
    // Align by class name: runs may have been evaluated on different class lists.
    return {
      name: `${run.label}${run.synthetic ? ' (SYNTHETIC)' : ''}`,
      values: classes.map((c) => r.perClassIou[r.classes.indexOf(c)] ?? Number.NaN),
    };
  });
  return barChart({ categories: classes, series, width, domain: [0, 1], title: 'IoU per class', testId: 'iou-bars' });
}

/** mIoU against the background threshold; the threshold the report used is marked, the best point dotted. */
export function sweepChart(runs: RunView[], focus: RunView, pick: ReportPick, width: number): HTMLElement | null {
  const r = pick(focus);
  if (!r || r.sweep.length === 0) return null;
  const others = runs.filter((run) => run !== focus && (pick(run)?.sweep.length ?? 0) > 0).slice(0, 7);
  const series = [focus, ...others].map((run) => ({
    name: run.label,
    points: pick(run)!.sweep.map((p) => ({ x: p.threshold, y: p.miou })),
  }));
  return lineChart({
    series,
    width,
    height: 220,
    title: 'mIoU vs background threshold',
    xLabel: 'threshold',
    dots: true,
    formatX: (v) => v.toFixed(2),
    formatY: (v) => percent(v, 0),
    markers: Number.isFinite(r.threshold) ? [{ x: r.threshold, label: `chosen ${r.threshold.toFixed(2)}` }] : [],
    highlights: r.best ? [{ x: r.best.threshold, y: r.best.miou, label: `best ${percent(r.best.miou)}` }] : [],
    testId: 'sweep-chart',
  });
}
