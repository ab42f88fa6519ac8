/** Adopt the charts' style sheet once per page (CSP-safe adopted sheet; see webview/shared/ui.ts). */
import { adoptStyles } from '../ui';
import chartsCss from './charts.css';

let adopted = false;

export function useChartStyles(): void {
  if (adopted) return;
  adopted = true;
  adoptStyles(chartsCss);
}
