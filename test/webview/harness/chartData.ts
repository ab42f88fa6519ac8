// Reads what a Chart.js figure (webview/shared/charts/chart.ts) shows from its Chart instance in the page:
// dataset labels and data, visibility, the value labels drawn, and the canvas's aria-label.
import type { Page } from 'playwright-core';

export interface ShownChart {
  type: string;
  labels: string[];
  datasets: { label: string; data: unknown[]; hidden: boolean }[];
  valueLabels: { dataset: number; index: number; text: string; x: number; y: number; w: number; h: number }[];
  description: string;
  canvas: { width: number; height: number };
}

export async function chartData(page: Page, testId: string, nth = 0): Promise<ShownChart> {
  const fig = page.locator(`[data-testid="${testId}"]`).nth(nth);
  await fig.locator('canvas').waitFor();
  return fig.evaluate((el) => {
    type C = {
      config: { type: string };
      data: { labels?: unknown[]; datasets: { label?: string; data: unknown[]; _data?: unknown[] }[] };
      isDatasetVisible(i: number): boolean;
      $valueLabels?: ShownChart['valueLabels'];
      canvas: HTMLCanvasElement;
    };
    const c = (el as unknown as { chart: C }).chart;
    return {
      type: c.config.type,
      labels: (c.data.labels ?? []).map(String),
      datasets: c.data.datasets.map((d, i) => ({
        label: d.label ?? '',
        data: d._data ?? d.data, // the whole series, also when decimation draws fewer points
        hidden: !c.isDatasetVisible(i),
      })),
      valueLabels: c.$valueLabels ?? [],
      description: c.canvas.getAttribute('aria-label') ?? '',
      canvas: { width: c.canvas.clientWidth, height: c.canvas.clientHeight },
    };
  });
}
