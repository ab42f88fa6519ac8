/**
 * Loss and metric curves of one run from its metrics.jsonl rows: one chart per metric name, one line per
 * stage (x = step), loss terms explained under their curves (./lossTerms). Rows arrive live (the host
 * throttles to ~1 Hz): a chart already on screen is updated in place, so a zoom the user set survives.
 * Long curves are thinned on screen by Chart.js's LTTB decimation; the data stays whole.
 */
import type { MetricRow } from '../../protocol/webview/report';
import { chartFigure, seriesColour, type ChartFigure } from '../shared/charts/chart';
import { h } from '../shared/ui';
import { LOSS_FORMULA, LOSS_TERMS, lossTermNote } from './lossTerms';

/** Metric names in a stable, useful order: losses first, then the rest alphabetically. */
export function metricNames(rows: MetricRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.values)) names.add(k);
  const isLoss = (n: string): boolean => /loss|^l_/i.test(n) || n in LOSS_TERMS;
  return [...names].sort((a, b) => Number(isLoss(b)) - Number(isLoss(a)) || a.localeCompare(b));
}

export interface MetricSeries {
  name: string;
  points: { x: number; y: number }[];
}

/** The series of one metric: one per stage that logged it, points in step order. */
export function metricSeries(rows: MetricRow[], name: string): MetricSeries[] {
  const byStage = new Map<string, { x: number; y: number }[]>();
  for (const r of rows) {
    const v = r.values[name];
    if (v === undefined) continue;
    let pts = byStage.get(r.stage);
    if (!pts) byStage.set(r.stage, (pts = []));
    pts.push({ x: r.step, y: v });
  }
  return [...byStage].map(([stage, points]) => ({ name: stage, points: points.sort((a, b) => a.x - b.x) }));
}

/** Charts on screen, by run and metric: updated in place while the run's rows grow. */
const onScreen = new Map<string, ChartFigure>();

function datasets(series: MetricSeries[]) {
  return series.map((s, i) => ({
    label: s.name,
    data: s.points,
    borderColor: seriesColour(i),
    backgroundColor: seriesColour(i),
    borderWidth: 1.6,
    pointRadius: s.points.length > 60 ? 0 : 2,
  }));
}

const describe = (name: string, series: MetricSeries[]): string =>
  `${name} by step. ${series.map((s) => `${s.name}: ${s.points.length} points, last ${s.points.at(-1)?.y}`).join('. ')}`;

function curveChart(key: string, name: string, series: MetricSeries[], width: number): ChartFigure {
  const known = onScreen.get(key);
  // A chart destroyed while off the page (webview/shared/charts/chart.ts sweeps those) has no canvas: redraw.
  if (known?.chart.canvas) {
    known.chart.data.datasets = datasets(series);
    known.chart.canvas.setAttribute('aria-label', describe(name, series));
    known.chart.update('none');
    return known;
  }
  const figure = chartFigure({
    testId: `curve-${name}`,
    width,
    height: 190,
    description: describe(name, series),
    config: {
      type: 'line',
      data: { datasets: datasets(series) },
      options: {
        parsing: false, // points are {x, y} already; also what LTTB decimation needs
        scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { type: 'linear' } },
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          title: { display: true, text: name },
          decimation: { enabled: true, algorithm: 'lttb', samples: 400 },
          zoom: {
            zoom: { drag: { enabled: true }, wheel: { enabled: true, modifierKey: 'ctrl' }, mode: 'x' },
            pan: { enabled: true, modifierKey: 'shift', mode: 'x' },
          },
        },
      },
    },
  });
  figure.chart.canvas.addEventListener('dblclick', () => figure.chart.resetZoom());
  onScreen.set(key, figure);
  return figure;
}

/** `runKey` names whose rows these are (a new run gets new charts, not the last run's zoom). */
export function metricCurves(rows: MetricRow[], width: number, runKey: string): HTMLElement {
  for (const key of [...onScreen.keys()]) if (!key.startsWith(`${runKey}\n`)) onScreen.delete(key);
  const names = metricNames(rows);
  const grid = h('div', { class: 'curve-grid', 'data-testid': 'metric-curves', 'data-rows': rows.length });
  const chartWidth = Math.max(260, Math.min(460, Math.floor((width - 24) / 2)));
  // A metric logged once per stage (an evaluation's miou, best_miou, best_threshold) is a number, not a curve.
  const singles: HTMLElement[] = [];
  let hasTerms = false;
  for (const name of names) {
    const series = metricSeries(rows, name);
    if (series.every((s) => s.points.length <= 1)) {
      for (const s of series) {
        singles.push(
          h(
            'div',
            { class: 'single-value', 'data-testid': 'single-metric', 'data-metric': name, 'data-stage': s.name },
            h('span', { class: 'muted' }, `${s.name} · ${name}`),
            h('strong', {}, String(Number(s.points[0].y.toPrecision(4)))),
          ),
        );
      }
      continue;
    }
    const note = lossTermNote(name);
    hasTerms ||= note !== undefined && name !== 'loss';
    const last = series.flatMap((s) => s.points).at(-1);
    grid.append(
      h(
        'div',
        { class: 'curve', 'data-metric': name },
        curveChart(`${runKey}\n${name}`, name, series, chartWidth),
        h(
          'p',
          { class: 'curve-note', 'data-testid': 'curve-note' },
          last ? `last ${Number(last.y.toPrecision(4))}. ` : '',
          note ?? '',
        ),
      ),
    );
  }
  if (grid.childElementCount > 0) {
    grid.prepend(
      h(
        'p',
        { class: 'chart-hint', 'data-testid': 'zoom-hint' },
        'Drag across a curve to zoom, Ctrl+wheel to zoom, Shift+drag to pan, double-click to reset; click a legend entry to hide that stage.',
      ),
    );
  }
  if (hasTerms) grid.prepend(h('p', { class: 'loss-formula', 'data-testid': 'loss-formula' }, LOSS_FORMULA));
  if (singles.length) grid.prepend(h('div', { class: 'single-values', 'data-testid': 'single-metrics' }, ...singles));
  return grid;
}
