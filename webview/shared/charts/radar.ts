/**
 * Radar chart, as in the paper's Fig. 4 (METHOD §2.2): one spoke per candidate word of a class, the share
 * of instances in which that word won along it, one polygon per source (this run, the authors' selection).
 */
import { legend } from './legend';
import { percent, seriesClass, svg, tooltip } from './svg';

export interface RadarSeries {
  name: string;
  /** One value per axis, shares in [0, 1]; NaN for "no data" (drawn at the centre). */
  values: number[];
}

export interface RadarChartOptions {
  axes: string[];
  series: RadarSeries[];
  size: number;
  title: string;
  /** Outer ring value; default: the smallest of 0.2, 0.4, ... 1 at or above every value. */
  max?: number;
  showLegend?: boolean;
  /** Axis labels longer than this are cut with an ellipsis (small multiples); the tooltip keeps them whole. */
  maxLabelChars?: number;
  testId?: string;
}

/** Angle of spoke i of n: the first points up, then clockwise. */
export function spokeAngle(i: number, n: number): number {
  return -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
}

/** Pixel positions of values on their spokes around (cx, cy), value `max` at `radius`. */
export function radarPoints(values: number[], max: number, radius: number, cx: number, cy: number): [number, number][] {
  return values.map((v, i) => {
    const r = (Number.isFinite(v) ? Math.min(Math.max(v, 0), max) / max : 0) * radius;
    const a = spokeAngle(i, values.length);
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
}

export function radarChart(opts: RadarChartOptions): HTMLElement {
  const n = opts.axes.length;
  const all = opts.series.flatMap((s) => s.values).filter(Number.isFinite);
  const max = opts.max ?? [0.2, 0.4, 0.6, 0.8, 1].find((m) => all.every((v) => v <= m + 1e-9)) ?? 1;
  const maxChars = opts.maxLabelChars ?? 24;
  const label = (w: string): string => (w.length > maxChars ? `${w.slice(0, maxChars - 1)}…` : w);
  const longest = Math.max(0, ...opts.axes.map((w) => label(w).length));
  const pad = Math.max(24, Math.min(longest * 6.2 + 10, 120)); // room for the side labels
  const width = opts.size + 2 * pad;
  const top = 32; // title, then the label of the upward spoke
  const height = opts.size + top + 18;
  const cx = width / 2;
  const cy = top + opts.size / 2;
  const radius = opts.size / 2;

  const root = svg('svg', {
    class: 'chart radar-chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': opts.title,
    'data-testid': opts.testId,
  });
  root.append(svg('text', { class: 'title', x: cx, y: 12, 'text-anchor': 'middle' }, opts.title));

  const rings = svg('g', { class: 'rings' });
  for (let k = 1; k <= 4; k++) {
    const level = (max * k) / 4;
    const ring = radarPoints(new Array(Math.max(n, 3)).fill(level), max, radius, cx, cy);
    const shape =
      n >= 3
        ? svg('polygon', { class: 'ring', points: ring.map((p) => p.join(',')).join(' ') })
        : svg('circle', { class: 'ring', cx, cy, r: (radius * k) / 4 });
    rings.append(shape);
    if (k === 2 || k === 4)
      rings.append(svg('text', { class: 'tick-label', x: cx + 3, y: cy - (radius * k) / 4 + 10 }, percent(level, 0)));
  }
  root.append(rings);

  opts.axes.forEach((axisName, i) => {
    const a = spokeAngle(i, n);
    const [ex, ey] = [cx + radius * Math.cos(a), cy + radius * Math.sin(a)];
    root.append(svg('line', { class: 'spoke', x1: cx, y1: cy, x2: ex, y2: ey }));
    const lx = cx + (radius + 8) * Math.cos(a);
    const ly = cy + (radius + 8) * Math.sin(a);
    const anchor = Math.abs(Math.cos(a)) < 0.3 ? 'middle' : Math.cos(a) > 0 ? 'start' : 'end';
    const dy = Math.sin(a) > 0.3 ? 10 : Math.sin(a) < -0.3 ? -2 : 4;
    root.append(
      svg(
        'text',
        { class: 'axis-name', x: lx, y: ly + dy, 'text-anchor': anchor, 'data-axis': axisName },
        label(axisName),
        tooltip(axisName),
      ),
    );
  });

  opts.series.forEach((s, i) => {
    if (!s.values.some(Number.isFinite)) return; // a source with no data for this class draws nothing
    const pts = radarPoints(s.values, max, radius, cx, cy);
    const g = svg('g', { class: seriesClass(i), 'data-series': s.name });
    const detail = opts.axes.map((w, k) => `${w} ${percent(s.values[k], 0)}`).join(', ');
    g.append(
      svg(
        n >= 3 ? 'polygon' : 'polyline',
        { class: 'area', points: pts.map((p) => p.map((c) => c.toFixed(1)).join(',')).join(' ') },
        tooltip(`${s.name}: ${detail}`),
      ),
    );
    pts.forEach(([x, y], k) =>
      g.append(svg('circle', { class: 'dot', cx: x, cy: y, r: 2.5, 'data-value': s.values[k] })),
    );
    root.append(g);
  });

  const wrapper = document.createElement('figure');
  wrapper.className = 'chart-figure';
  wrapper.append(root);
  if (opts.showLegend ?? opts.series.length > 1) wrapper.append(legend(opts.series.map((s) => s.name)));
  return wrapper;
}
