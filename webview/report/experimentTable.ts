/**
 * The experiment table (docs/EXPERIMENTS.md) of the focused run's experiment: per variant the mean ± std over
 * seeds of each figure, the paired difference against the reference with its 95% t confidence interval, and the
 * paper's values beside ours, labelled published. Numbers come from <exp>/table.json as the engine wrote them.
 */
import type { ExperimentCell, ExperimentDiff, ExperimentTable } from '../../protocol/experiments';
import type { ExperimentView } from '../../protocol/webview/report';
import { banner, h } from '../shared/ui';
import { syntheticTag } from './resultViews';

const PUBLISHED = ['cam', 'cam_best', 'ir', 'rw', 'seg'] as const;
const PUBLISHED_LABEL: Record<string, string> = { cam: 'CAM', cam_best: 'CAM best', ir: 'IR', rw: '+RW', seg: 'seg' };

const pct = (v: number | null, signed = false): string =>
  v === null ? '–' : `${signed && v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;

function cell(c: ExperimentCell | undefined): string {
  if (!c || c.mean === null) return '–';
  return c.std === null ? pct(c.mean) : `${pct(c.mean)} ± ${pct(c.std)}`;
}

function diff(d: ExperimentDiff | undefined): string {
  if (!d || d.mean === null) return '';
  return d.lo === null || d.hi === null
    ? `${pct(d.mean, true)} (n=1)`
    : `${pct(d.mean, true)} [${pct(d.lo, true)}, ${pct(d.hi, true)}]`;
}

function table(t: ExperimentTable): HTMLElement {
  const published = PUBLISHED.filter((k) => t.rows.some((r) => k in r.published));
  const head = h(
    'tr',
    {},
    h('th', {}, 'variant'),
    h('th', {}, 'seeds'),
    ...t.columns.flatMap((c) => [
      h('th', {}, `${c.label} (%)`),
      h('th', { title: t.note }, `Δ vs ${t.reference} [95% CI]`),
    ]),
    ...published.map((k) => h('th', { class: 'published' }, `${PUBLISHED_LABEL[k]} (published)`)),
  );
  const rows = t.rows.map((row) =>
    h(
      'tr',
      { 'data-testid': 'experiment-row', 'data-variant': row.variant },
      h('td', {}, row.label, row.reference ? h('span', { class: 'status-note' }, ' (reference)') : null),
      h('td', { class: 'num' }, String(Math.max(0, ...Object.values(row.values).map((v) => v.n)))),
      ...t.columns.flatMap((c) => [
        h('td', { class: 'num' }, cell(row.values[c.key])),
        h('td', { class: 'num' }, diff(row.diff[c.key])),
      ]),
      ...published.map((k) =>
        h('td', { class: 'num published' }, k in row.published ? row.published[k].toFixed(1) : '–'),
      ),
    ),
  );
  return h(
    'table',
    { class: 'compare', 'data-testid': 'experiment-table' },
    h('thead', {}, head),
    h('tbody', {}, ...rows),
  );
}

/** The section, or a note when the experiment has not written its table yet. */
export function experimentSection(view: ExperimentView): HTMLElement {
  const t = view.table;
  return h(
    'section',
    { 'data-testid': 'experiment-section' },
    h('h3', {}, `Experiment: ${view.name}`, t?.synthetic ? syntheticTag() : null),
    t
      ? table(t)
      : banner(
          'info',
          `The experiment is ${view.status}: its table appears when every run has completed.`,
          `Or run: wsss-engine experiment table FILE --dir ${view.experimentDir}`,
        ),
    t
      ? h(
          'p',
          { class: 'status-note' },
          `${t.note}.`,
          t.publishedSource ? ` Published values: ${t.publishedSource} (not measured here).` : '',
        )
      : null,
  );
}
