/** A legend row: one coloured key per series, in series order (colours match seriesClass(i)). */
import { seriesClass } from './svg';

export function legend(names: string[], testId = 'chart-legend'): HTMLElement {
  const el = document.createElement('div');
  el.className = 'chart-legend';
  el.dataset.testid = testId;
  names.forEach((name, i) => {
    const key = document.createElement('span');
    key.className = `key ${seriesClass(i)}`;
    key.append(document.createElement('i'), name);
    el.append(key);
  });
  return el;
}
