/**
 * Loss and metric curves of one run from its metrics.jsonl rows: one small chart per metric name, one line
 * per stage (x = step). Rows arrive live; the caller re-renders at most once a second (the host throttles).
 */
import type { MetricRow } from '../../protocol/webview/report';
import { lineChart, type LineSeries } from '../shared/charts/line';
import { h } from '../shared/ui';

/** Metric names in a stable, useful order: losses first, then the rest alphabetically. */
export function metricNames(rows: MetricRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.values)) names.add(k);
  const isLoss = (n: string): boolean => /loss|^l_/i.test(n);
  return [...names].sort((a, b) => Number(isLoss(b)) - Number(isLoss(a)) || a.localeCompare(b));
}

/** The series of one metric: one per stage that logged it, points in step order. */
export function metricSeries(rows: MetricRow[], name: string): LineSeries[] {
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

export function metricCurves(rows: MetricRow[], width: number): HTMLElement {
  const names = metricNames(rows);
  const grid = h('div', { class: 'curve-grid', 'data-testid': 'metric-curves', 'data-rows': rows.length });
  const chartWidth = Math.max(260, Math.min(420, Math.floor((width - 24) / 2)));
  // A metric logged once per stage (an evaluation's miou, best_miou, best_threshold) is a number, not a curve.
  const singles: HTMLElement[] = [];
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
    const last = series.flatMap((s) => s.points).at(-1);
    grid.append(
      h(
        'div',
        { class: 'curve', 'data-metric': name },
        lineChart({
          series,
          width: chartWidth,
          height: 170,
          title: last ? `${name} (last ${Number(last.y.toPrecision(4))})` : name,
          xLabel: 'step',
          testId: `curve-${name}`,
        }),
      ),
    );
  }
  if (singles.length) grid.prepend(h('div', { class: 'single-values', 'data-testid': 'single-metrics' }, ...singles));
  return grid;
}
