/**
 * Horizontal grouped bar chart: one row per category (e.g. the 21 VOC classes), one bar per series (e.g.
 * compared runs). Missing values (NaN) are written "n/a", never drawn as zero.
 */
import { legend } from './legend';
import { linearScale, niceTicks, percent, seriesClass, svg, tooltip } from './svg';

export interface BarSeries {
  name: string;
  values: number[];
}

export interface BarChartOptions {
  categories: string[];
  series: BarSeries[];
  width: number;
  /** Domain of the value axis; default [0, max of values] (IoU charts pass [0, 1]). */
  domain?: [number, number];
  format?: (value: number) => string;
  /** Accessible name of the chart. */
  title: string;
  testId?: string;
}

const LABEL_W = 96;
const VALUE_W = 46;
const AXIS_H = 18;

export function barChart(opts: BarChartOptions): HTMLElement {
  const format = opts.format ?? percent;
  const n = Math.max(1, opts.series.length);
  const barH = n === 1 ? 12 : Math.max(5, Math.floor(18 / n));
  const rowH = barH * n + 6;
  const height = AXIS_H + rowH * opts.categories.length + 4;
  const all = opts.series.flatMap((s) => s.values).filter(Number.isFinite);
  const domain = opts.domain ?? [0, Math.max(1e-9, ...all)];
  const x = linearScale(domain, [LABEL_W, opts.width - VALUE_W]);

  const root = svg('svg', {
    class: 'chart bar-chart',
    width: opts.width,
    height,
    viewBox: `0 0 ${opts.width} ${height}`,
    role: 'img',
    'aria-label': opts.title,
    'data-testid': opts.testId,
  });
  const grid = svg('g', { class: 'grid' });
  const axis = svg('g', { class: 'axis' });
  for (const t of niceTicks(domain[0], domain[1], 5)) {
    grid.append(svg('line', { x1: x(t), x2: x(t), y1: AXIS_H - 2, y2: height - 4 }));
    axis.append(
      svg(
        'text',
        { class: 'tick-label', x: x(t), y: AXIS_H - 6, 'text-anchor': 'middle' },
        format(t).replace(/\.0%$/, '%'),
      ),
    );
  }
  root.append(grid, axis);

  opts.categories.forEach((category, row) => {
    const y0 = AXIS_H + row * rowH + 3;
    const g = svg('g', { class: 'bar-row', 'data-category': category });
    g.append(
      svg(
        'text',
        { class: 'category-label', x: LABEL_W - 6, y: y0 + (barH * n) / 2 + 4, 'text-anchor': 'end' },
        category,
      ),
    );
    opts.series.forEach((s, i) => {
      const v = s.values[row];
      const y = y0 + i * barH;
      if (!Number.isFinite(v)) {
        g.append(svg('text', { class: 'missing', x: LABEL_W + 4, y: y + barH - 2 }, 'n/a'));
        return;
      }
      const clamped = Math.min(Math.max(v, domain[0]), domain[1]);
      const w = Math.max(0.5, x(clamped) - x(domain[0]));
      g.append(
        svg(
          'rect',
          { class: `bar ${seriesClass(i)}`, x: x(domain[0]), y, width: w, height: barH - 1, 'data-value': v },
          tooltip(`${s.name} · ${category}: ${format(v)}`),
        ),
      );
      if (n <= 3) {
        g.append(svg('text', { class: 'value-label', x: x(domain[0]) + w + 4, y: y + barH - 2 }, format(v)));
      }
    });
    root.append(g);
  });

  const wrapper = document.createElement('figure');
  wrapper.className = 'chart-figure';
  if (opts.series.length > 1) wrapper.append(legend(opts.series.map((s) => s.name)));
  wrapper.append(root);
  return wrapper;
}
