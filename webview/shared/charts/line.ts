/**
 * Line chart: several series over a shared x axis (training steps, thresholds), optional vertical markers
 * (the chosen background threshold) and marked points. Long series are thinned for drawing only, keeping
 * each bucket's extremes so spikes in a loss curve stay visible.
 */
import { legend } from './legend';
import { compact, linearScale, niceDomain, niceTicks, seriesClass, svg, tooltip } from './svg';

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: Point[];
}

export interface LineChartOptions {
  series: LineSeries[];
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yDomain?: [number, number];
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
  /** Vertical lines with a label, e.g. the chosen threshold. */
  markers?: { x: number; label: string }[];
  /** Dots with a label, e.g. the best point of a sweep. */
  highlights?: { x: number; y: number; label: string }[];
  /** Draw a dot at every point (short series such as a sweep). */
  dots?: boolean;
  testId?: string;
}

const M = { left: 48, right: 12, top: 20, bottom: 30 };

/** At most about `max` points: per bucket the first, the min and the max, plus the very last point. */
export function thin(points: Point[], max = 600): Point[] {
  if (points.length <= max) return points;
  const size = Math.ceil(points.length / Math.max(1, Math.floor(max / 3)));
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += size) {
    const bucket = points.slice(i, i + size);
    let lo = bucket[0];
    let hi = bucket[0];
    for (const p of bucket) {
      if (p.y < lo.y) lo = p;
      if (p.y > hi.y) hi = p;
    }
    for (const p of [bucket[0], lo, hi].sort((a, b) => a.x - b.x)) if (out[out.length - 1] !== p) out.push(p);
  }
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

export function lineChart(opts: LineChartOptions): HTMLElement {
  const fx = opts.formatX ?? compact;
  const fy = opts.formatY ?? compact;
  const pts = opts.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = pts.map((p) => p.x).concat((opts.markers ?? []).map((m) => m.x));
  const xDomain: [number, number] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (xDomain[0] === xDomain[1]) xDomain[1] = xDomain[0] + 1;
  const yMin = Math.min(...pts.map((p) => p.y));
  const yMax = Math.max(...pts.map((p) => p.y));
  const yPad = (yMax - yMin) * 0.06; // points and labels never sit on the frame
  const yDomain = opts.yDomain ?? niceDomain(yMin - yPad, yMax + yPad, 4);
  const x = linearScale(xDomain, [M.left, opts.width - M.right]);
  const y = linearScale(yDomain, [opts.height - M.bottom, M.top]);

  const root = svg('svg', {
    class: 'chart line-chart',
    width: opts.width,
    height: opts.height,
    viewBox: `0 0 ${opts.width} ${opts.height}`,
    role: 'img',
    'aria-label': opts.title,
    'data-testid': opts.testId,
  });
  root.append(svg('text', { class: 'title', x: M.left, y: 12 }, opts.title));
  const grid = svg('g', { class: 'grid' });
  const axis = svg('g', { class: 'axis' });
  for (const t of niceTicks(yDomain[0], yDomain[1], 4)) {
    grid.append(svg('line', { x1: M.left, x2: opts.width - M.right, y1: y(t), y2: y(t) }));
    axis.append(svg('text', { class: 'tick-label', x: M.left - 5, y: y(t) + 3, 'text-anchor': 'end' }, fy(t)));
  }
  for (const t of niceTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor(opts.width / 90)))) {
    axis.append(
      svg('text', { class: 'tick-label', x: x(t), y: opts.height - M.bottom + 13, 'text-anchor': 'middle' }, fx(t)),
    );
  }
  axis.append(
    svg('rect', {
      class: 'frame',
      x: M.left,
      y: M.top,
      width: opts.width - M.left - M.right,
      height: opts.height - M.top - M.bottom,
    }),
  );
  if (opts.xLabel)
    axis.append(
      svg(
        'text',
        { class: 'axis-label', x: opts.width - M.right, y: opts.height - 3, 'text-anchor': 'end' },
        opts.xLabel,
      ),
    );
  root.append(grid, axis);

  opts.series.forEach((s, i) => {
    const drawn = thin(s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
    if (drawn.length === 0) return;
    const d = drawn.map((p, k) => `${k ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join('');
    const g = svg('g', { class: seriesClass(i), 'data-series': s.name, 'data-points': s.points.length });
    g.append(svg('path', { class: 'line', d }, tooltip(s.name)));
    if (opts.dots || drawn.length === 1) {
      for (const p of drawn)
        g.append(
          svg(
            'circle',
            { class: 'dot', cx: x(p.x), cy: y(p.y), r: 2.5 },
            tooltip(`${s.name}: ${fx(p.x)} → ${fy(p.y)}`),
          ),
        );
    }
    root.append(g);
  });

  for (const m of opts.markers ?? []) {
    root.append(
      svg(
        'g',
        { class: 'marker', 'data-testid': 'marker', 'data-x': m.x },
        svg('line', { x1: x(m.x), x2: x(m.x), y1: M.top, y2: opts.height - M.bottom }),
        svg('text', { x: x(m.x) + 4, y: opts.height - M.bottom - 5 }, m.label),
      ),
    );
  }
  for (const h of opts.highlights ?? []) {
    root.append(
      svg(
        'g',
        { class: 'marker', 'data-testid': 'highlight' },
        svg('circle', { cx: x(h.x), cy: y(h.y), r: 4 }, tooltip(h.label)),
        svg('text', { x: x(h.x) + 6, y: y(h.y) - 6 }, h.label),
      ),
    );
  }

  const wrapper = document.createElement('figure');
  wrapper.className = 'chart-figure';
  wrapper.append(root);
  if (opts.series.length > 1) wrapper.append(legend(opts.series.map((s) => s.name)));
  return wrapper;
}
