/**
 * A Chart.js plugin that writes each bar's value at its end. A label is drawn only where it fits: the bar
 * is at least as thick as the text is tall, and the label overlaps no label already drawn, so three or
 * more runs side by side never produce a pile of overlapping numbers (the tooltip still has every value).
 * The rectangles drawn are kept on chart.$valueLabels for the webview tests.
 */
import type { BarElement, Chart, ChartType, Plugin } from 'chart.js';

export interface ValueLabelOptions {
  enabled?: boolean;
  format?: (v: number) => string;
}

declare module 'chart.js' {
  interface PluginOptionsByType<TType extends ChartType> {
    valueLabels?: ValueLabelOptions;
  }
}

export interface DrawnLabel {
  dataset: number;
  index: number;
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: DrawnLabel, b: DrawnLabel): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

export const valueLabels: Plugin<'bar'> = {
  id: 'valueLabels',
  afterDatasetsDraw(chart: Chart<'bar'>, _args, options: ValueLabelOptions) {
    const drawn: DrawnLabel[] = [];
    (chart as unknown as { $valueLabels: DrawnLabel[] }).$valueLabels = drawn;
    if (!options?.enabled) return;
    const format = options.format ?? ((v: number) => String(v));
    const horizontal = chart.options.indexAxis === 'y';
    const ctx = chart.ctx;
    const size = 10;
    ctx.save();
    ctx.font = `${size}px ${chart.options.font?.family ?? 'sans-serif'}`;
    ctx.fillStyle = String(chart.options.color ?? '#999');
    ctx.textBaseline = 'middle';
    chart.data.datasets.forEach((ds, d) => {
      const meta = chart.getDatasetMeta(d);
      if (meta.hidden || !chart.isDatasetVisible(d)) return;
      meta.data.forEach((el, i) => {
        const v = ds.data[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) return;
        const bar = el as unknown as BarElement & { x: number; y: number; base: number; width: number; height: number };
        const text = format(v);
        const w = ctx.measureText(text).width;
        const thickness = horizontal ? bar.height : bar.width;
        if (thickness < (horizontal ? size : w)) return;
        const label: DrawnLabel = horizontal
          ? { dataset: d, index: i, text, x: bar.x + 3, y: bar.y - size / 2, w, h: size }
          : { dataset: d, index: i, text, x: bar.x - w / 2, y: bar.y - size - 2, w, h: size };
        if (drawn.some((o) => overlaps(o, label))) return;
        drawn.push(label);
        ctx.textAlign = 'left';
        ctx.fillText(text, label.x, label.y + size / 2);
      });
    });
    ctx.restore();
  },
};
