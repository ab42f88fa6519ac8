/**
 * The small SVG toolkit the chart modules share: element creation (no innerHTML, so data never becomes
 * markup), linear scales, "nice" ticks, number formats and the series palette. Colours come from VS Code's
 * chart theme variables (with fallbacks) through webview/shared/charts/charts.css.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | undefined>;

/** Create an SVG element: svg('rect', {x: 1}, child...). Text children become text nodes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

/** A <title> child: the tooltip browsers show on hover. */
export function tooltip(text: string): SVGTitleElement {
  return svg('title', {}, text);
}

/** A linear map from a data domain to pixels (range may be reversed, e.g. y axes). */
export interface Scale {
  (value: number): number;
  domain: [number, number];
  range: [number, number];
}

export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const span = d1 - d0 || 1;
  const f = ((v: number) => range[0] + ((v - d0) / span) * (range[1] - range[0])) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** About `count` round tick values covering [min, max] (1, 2, 5 x 10^k steps). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const error = raw / magnitude; // as d3 does: the 1-2-5 step nearest the raw one
  const step = magnitude * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The domain padded out to the nearest ticks, so lines do not touch the frame. */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) return min === 0 ? [0, 1] : [Math.min(0, min), Math.max(0, max) * 1.1 || 1];
  const ticks = niceTicks(min, max, count);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  return [Math.floor(min / step) * step, Math.ceil(max / step) * step];
}

/** 0.4567 -> "45.7%" (IoU and shares). */
export function percent(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
}

/** A compact number for axes: 12000 -> "12k", 0.00012 -> "1.2e-4". */
export function compact(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const a = Math.abs(value);
  if (a === 0) return '0';
  if (a >= 1e4) return `${Number((value / 1000).toPrecision(3))}k`;
  if (a < 1e-3) return value.toExponential(1).replace('e-', 'e-');
  return String(Number(value.toPrecision(3)));
}

/** Series colours are CSS classes series-0 .. series-7 (charts.css): theme colours, never hard-coded. */
export function seriesClass(index: number): string {
  return `series-${index % 8}`;
}
