/**
 * The one home of charts in the panels: Chart.js (tree-shaken: only the controllers used) with the zoom
 * plugin, themed from VS Code's --vscode-charts-* variables. Chart.js draws on a <canvas> and styles it
 * through element.style (CSSOM), which the panels' strict CSP allows; it injects no <style> or script.
 * Every chart is a <figure data-testid=…> whose canvas carries an aria-label summary of its data, and
 * whose Chart instance is reachable as figure.chart (the webview tests read the data from it).
 */
import * as C from 'chart.js';
import { Chart, type ChartConfiguration, type ChartType } from 'chart.js';
import { color } from 'chart.js/helpers';
import zoomPlugin from 'chartjs-plugin-zoom';
import { adoptStyles } from '../ui';
import chartsCss from './charts.css';
import { valueLabels } from './valueLabels';

// Only what the panels draw (tree-shaken bundle): bars, lines, scatter, radar; tooltips, legends, zoom.
Chart.register(
  ...[C.BarController, C.LineController, C.ScatterController, C.RadarController],
  ...[C.BarElement, C.LineElement, C.PointElement],
  ...[C.CategoryScale, C.LinearScale, C.RadialLinearScale],
  ...[C.Decimation, C.Filler, C.Legend, C.Title, C.Tooltip],
  zoomPlugin,
  valueLabels,
);

/** A figure holding a Chart.js chart (figure.chart is the instance). */
export type ChartFigure = HTMLElement & { chart: Chart };

const SERIES_VARS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
  ['--vscode-terminal-ansiCyan', '#29b8db'],
  ['--vscode-terminal-ansiMagenta', '#d670d6'],
];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The colour of series i (the same palette as the .series-i CSS classes of HTML legends). */
export function seriesColour(i: number): string {
  const [name, fallback] = SERIES_VARS[i % SERIES_VARS.length];
  return cssVar(name, fallback);
}

/** A colour with transparency (fills under radar polygons). */
export function translucent(c: string, alpha: number): string {
  return color(c).alpha(alpha).rgbString();
}

/** Theme colours for text, grid lines and markers. */
export function themeColours(): { text: string; muted: string; grid: string; warning: string } {
  return {
    text: cssVar('--vscode-foreground', '#cccccc'),
    muted: cssVar('--vscode-descriptionForeground', '#9d9d9d'),
    grid: cssVar('--vscode-widget-border', '#444444'),
    warning: cssVar('--vscode-editorWarning-foreground', '#cca700'),
  };
}

let styled = false;
let sweepQueued = false;
const live = new Set<Chart>();

/** Charts whose canvas left the page (the panel re-rendered) are destroyed: no leaked listeners. */
function sweepDetached(): void {
  if (sweepQueued) return;
  sweepQueued = true;
  setTimeout(() => {
    sweepQueued = false;
    for (const c of live) {
      if (!c.canvas?.isConnected) {
        c.destroy();
        live.delete(c);
      }
    }
  }, 0);
}

export interface FigureOptions<T extends ChartType> {
  testId?: string;
  /** CSS pixel size of the drawing area; the chart fills it. */
  width: number;
  height: number;
  /** Read by screen readers and the tests: what the chart shows, as text. */
  description: string;
  config: ChartConfiguration<T>;
  className?: string;
}

/** A <figure> with a canvas drawn by Chart.js. Animations are off: live curves redraw at ~1 Hz. */
export function chartFigure<T extends ChartType>(opts: FigureOptions<T>): ChartFigure {
  if (!styled) {
    styled = true;
    adoptStyles(chartsCss);
    const c = themeColours();
    Chart.defaults.color = c.muted;
    Chart.defaults.borderColor = c.grid;
    Chart.defaults.font.family = cssVar('--vscode-font-family', 'sans-serif');
    Chart.defaults.font.size = 11;
    Chart.defaults.animation = false;
    Chart.defaults.plugins.title.color = c.text;
  }
  const figure = document.createElement('figure') as unknown as ChartFigure;
  figure.className = `chart-figure ${opts.className ?? ''}`.trim();
  if (opts.testId) figure.dataset.testid = opts.testId;
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.style.width = `${opts.width}px`; // CSSOM, allowed by the CSP
  box.style.height = `${opts.height}px`;
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', opts.description);
  box.append(canvas);
  figure.append(box);
  const config = opts.config as ChartConfiguration;
  config.options = { responsive: true, maintainAspectRatio: false, ...config.options };
  figure.chart = new Chart(canvas, config);
  live.add(figure.chart);
  sweepDetached();
  return figure;
}

/** An HTML legend (for a grid of small charts sharing one): one coloured key per series. */
export function htmlLegend(names: string[], testId = 'chart-legend'): HTMLElement {
  const el = document.createElement('div');
  el.className = 'chart-legend';
  el.dataset.testid = testId;
  names.forEach((name, i) => {
    const key = document.createElement('span');
    key.className = 'key';
    const swatch = document.createElement('i');
    swatch.style.background = seriesColour(i);
    key.append(swatch, name);
    el.append(key);
  });
  return el;
}
