/**
 * Evaluation results (METHOD §6): the table comparing runs, per-class IoU bars for the compared runs, and
 * the background-threshold sweep with the chosen threshold marked. Synthetic runs are tagged everywhere.
 */
import type { EvaluationReport, RunView } from '../../protocol/webview/report';
import { chartFigure, seriesColour, themeColours, type ChartFigure } from '../shared/charts/chart';
import { h, percent } from '../shared/ui';

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

/** Per-class IoU of every compared run that has a report (the focused run first): horizontal bars, one per
 * run and class, values written where they fit (webview/shared/charts/valueLabels.ts), all in the tooltip. */
export function iouBars(runs: RunView[], focus: RunView, pick: ReportPick, width: number): ChartFigure {
  const withReports = [focus, ...runs.filter((r) => r !== focus)].filter((r) => pick(r));
  const classes = pick(focus)?.classes ?? pick(withReports[0])?.classes ?? [];
  const series = withReports.slice(0, 8).map((run) => {
    const r = pick(run)!;
    // Align by class name: runs may have been evaluated on different class lists; a class a run lacks is null.
    const values = classes.map((c) => {
      const v = r.perClassIou[r.classes.indexOf(c)];
      return v === undefined || !Number.isFinite(v) ? null : v;
    });
    return { name: `${run.label}${run.synthetic ? ' (SYNTHETIC)' : ''}`, values };
  });
  // Rows tall enough for one readable label per bar, however many runs are compared.
  const height = Math.max(240, classes.length * (series.length * 12 + 6) + 70);
  const description = `IoU per class. ${series
    .map(
      (s) =>
        `${s.name}: ${classes.map((c, i) => `${c} ${s.values[i] === null ? 'n/a' : percent(s.values[i]!)}`).join(', ')}`,
    )
    .join('. ')}`;
  return chartFigure({
    testId: 'iou-bars',
    width,
    height,
    description,
    config: {
      type: 'bar',
      data: {
        labels: classes,
        datasets: series.map((s, i) => ({
          label: s.name,
          data: s.values,
          backgroundColor: seriesColour(i),
          barPercentage: 0.92,
          categoryPercentage: 0.9,
        })),
      },
      options: {
        indexAxis: 'y',
        layout: { padding: { right: 34 } }, // room for the value label of a bar near 100%
        scales: {
          x: { min: 0, max: 1, ticks: { callback: (v) => percent(Number(v), 0) } },
          y: { ticks: { autoSkip: false } },
        },
        plugins: {
          title: { display: true, text: 'IoU per class' },
          tooltip: {
            callbacks: { label: (c) => `${c.dataset.label}: ${c.raw === null ? 'n/a' : percent(Number(c.raw))}` },
          },
          valueLabels: { enabled: true, format: (v) => (v * 100).toFixed(1) },
        },
      },
    },
  });
}

/** The swept thresholds' range, and a warning when the best one is at its edge: the true best may lie beyond. */
export function sweepEdgeWarning(report: EvaluationReport | undefined): { message: string; hint: string } | null {
  if (!report?.best || report.sweep.length < 3) return null;
  const ts = report.sweep.map((p) => p.threshold);
  const lo = Math.min(...ts);
  const hi = Math.max(...ts);
  const best = report.best.threshold;
  if (best !== lo && best !== hi) return null;
  return {
    message: `The best background threshold (${best.toFixed(2)}) is at the ${best === lo ? 'low' : 'high'} edge of the swept range ${lo.toFixed(2)}–${hi.toFixed(2)}: the true best may lie outside it.`,
    hint: "Widen the evaluate stage's “thresholds” parameter and evaluate again.",
  };
}

/** mIoU against the background threshold; the threshold the report used is a dashed line, the best point ringed. */
export function sweepChart(runs: RunView[], focus: RunView, pick: ReportPick, width: number): ChartFigure | null {
  const r = pick(focus);
  if (!r || r.sweep.length === 0) return null;
  const others = runs.filter((run) => run !== focus && (pick(run)?.sweep.length ?? 0) > 0).slice(0, 7);
  const series = [focus, ...others].map((run) => ({
    name: run.label,
    points: pick(run)!.sweep.map((p) => ({ x: p.threshold, y: p.miou })),
  }));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const yMin = Math.max(0, Math.floor(Math.min(...ys) * 20) / 20);
  const yMax = Math.min(1, Math.ceil(Math.max(...ys) * 20) / 20);
  const theme = themeColours();
  const marks = [];
  if (Number.isFinite(r.threshold)) {
    marks.push({
      label: `chosen ${r.threshold.toFixed(2)}`,
      data: [
        { x: r.threshold, y: yMin },
        { x: r.threshold, y: yMax },
      ],
      borderColor: theme.warning,
      backgroundColor: theme.warning,
      borderDash: [4, 3],
      showLine: true,
      pointRadius: 0,
    });
  }
  if (r.best) {
    marks.push({
      label: `best ${percent(r.best.miou)} @ ${r.best.threshold.toFixed(2)}`,
      data: [{ x: r.best.threshold, y: r.best.miou }],
      borderColor: theme.warning,
      backgroundColor: 'transparent',
      pointRadius: 7,
      pointBorderWidth: 2,
      showLine: false,
    });
  }
  const description = `mIoU vs background threshold. ${series
    .map((s) => `${s.name}: ${s.points.map((p) => `${p.x.toFixed(2)} ${percent(p.y)}`).join(', ')}`)
    .join('. ')}. ${marks.map((m) => m.label).join('; ')}`;
  return chartFigure({
    testId: 'sweep-chart',
    width,
    height: 240,
    description,
    config: {
      type: 'scatter',
      data: {
        datasets: [
          ...series.map((s, i) => ({
            label: s.name,
            data: s.points,
            borderColor: seriesColour(i),
            backgroundColor: seriesColour(i),
            showLine: true,
            pointRadius: 3,
          })),
          ...marks,
        ],
      },
      options: {
        scales: {
          x: {
            title: { display: true, text: 'background threshold' },
            ticks: { callback: (v) => Number(v).toFixed(2) },
          },
          y: { min: yMin, max: yMax, ticks: { callback: (v) => percent(Number(v), 0) } },
        },
        plugins: {
          title: { display: true, text: 'mIoU vs background threshold' },
          tooltip: {
            callbacks: {
              label: (c) =>
                `${c.dataset.label}: ${percent((c.raw as { y: number }).y)} @ ${(c.raw as { x: number }).x.toFixed(2)}`,
            },
          },
        },
      },
    },
  });
}
