/**
 * The chain as the paper's tables show it (POLE Tables 2-4): per run, CAM mIoU at the fixed threshold and the
 * sweep's best, IR labels, pseudo masks (+RW) and the segmenter, each with its split; the published figures
 * (METHOD §8) in their own rows, tagged "published". Also the per-class IoU of every chain report of one run.
 */
import { CHAIN_LABEL, CHAIN_ORDER } from '../../common/chain';
import type { ChainKind, EvaluationReport, PublishedFigures, RunView } from '../../protocol/webview/report';
import { percent } from '../shared/ui';
import { h } from '../shared/ui';
import { syntheticTag } from './resultViews';

/** The columns: CAM twice (fixed threshold, best of the sweep), then one per mask kind. */
const COLUMNS: { key: string; kind: ChainKind; title: string; hint: string }[] = [
  { key: 'cam', kind: 'cam', title: 'CAM', hint: "CAM mIoU at the report's fixed background threshold (METHOD §3.2)" },
  {
    key: 'cam-best',
    kind: 'cam',
    title: 'CAM, best threshold',
    hint: 'best mIoU of the background-threshold sweep, with its threshold',
  },
  {
    key: 'ir_labels',
    kind: 'ir_labels',
    title: 'IR labels',
    hint: 'confident fg/bg labels, ignore excluded (METHOD §4.1)',
  },
  {
    key: 'pseudo_mask',
    kind: 'pseudo_mask',
    title: 'pseudo mask (+RW)',
    hint: 'random-walk pseudo masks (METHOD §4.3)',
  },
  {
    key: 'segmentation',
    kind: 'segmentation',
    title: 'segmentation',
    hint: 'segmentation network predictions (METHOD §5)',
  },
];

function value(
  miou: number,
  split: string,
  testId: string,
  extra: Record<string, string>,
  after?: string,
): HTMLElement {
  return h(
    'div',
    { class: 'chain-value', 'data-testid': testId, 'data-split': split, ...extra },
    h('span', { class: 'chain-miou' }, percent(miou)),
    after ? h('span', { class: 'muted' }, ` ${after}`) : null,
    h('span', { class: 'split-tag' }, split),
  );
}

function cell(reports: EvaluationReport[], key: string): HTMLElement {
  const td = h('td', { class: 'num', 'data-column': key });
  for (const r of reports) {
    const attrs = { 'data-report': r.stageId, 'data-kind': r.kind };
    if (key === 'cam-best') {
      if (r.best) td.append(value(r.best.miou, r.split, 'chain-value', attrs, `@ ${r.best.threshold.toFixed(2)}`));
    } else {
      td.append(
        value(
          r.miou,
          r.split,
          'chain-value',
          attrs,
          r.kind === 'cam' && Number.isFinite(r.threshold) ? `@ ${r.threshold.toFixed(2)}` : undefined,
        ),
      );
    }
  }
  if (!td.childElementCount) td.append(h('span', { class: 'muted' }, '—'));
  return td;
}

function publishedRow(p: PublishedFigures): HTMLElement {
  const cells = COLUMNS.map((c) => {
    const f = c.key === 'cam-best' ? undefined : p.figures.find((x) => x.kind === c.kind);
    return h(
      'td',
      { class: 'num', 'data-column': c.key },
      f
        ? h(
            'div',
            {
              class: 'chain-value',
              'data-testid': 'published-value',
              'data-split': f.split,
              'data-kind': f.kind,
              title: f.note ?? '',
            },
            h('span', { class: 'chain-miou' }, percent(f.miou)),
            h('span', { class: 'split-tag' }, f.split),
          )
        : h('span', { class: 'muted' }, '—'),
    );
  });
  return h(
    'tr',
    { class: 'published', 'data-testid': 'published-row', title: p.source },
    h('td', {}, p.method, ' ', h('span', { class: 'published-tag', 'data-testid': 'published-tag' }, 'published')),
    ...cells,
  );
}

/** One row per compared run, then the published rows (absent when the snapshot has none). */
export function chainTable(
  runs: RunView[],
  published: PublishedFigures[],
  focus: string | null,
  onFocus: (runDir: string) => void,
): HTMLElement {
  const rows = runs.map((run) => {
    const tr = h(
      'tr',
      { class: run.runDir === focus ? 'focus' : '', 'data-testid': 'chain-row', 'data-run': run.runDir, tabindex: 0 },
      h(
        'td',
        {},
        run.label,
        ' ',
        run.synthetic ? syntheticTag() : null,
        h('span', { class: 'measured-tag' }, 'measured'),
      ),
      ...COLUMNS.map((c) =>
        cell(
          run.reports.filter((r) => r.kind === c.kind),
          c.key,
        ),
      ),
    );
    tr.addEventListener('click', () => onFocus(run.runDir));
    return tr;
  });
  const head = h(
    'tr',
    {},
    h('th', {}, 'run'),
    ...COLUMNS.map((c) => h('th', { class: 'num', title: c.hint }, c.title)),
  );
  return h(
    'table',
    { class: 'compare chain', 'data-testid': 'chain-table' },
    h('thead', {}, head),
    h('tbody', {}, ...rows),
    published.length
      ? h(
          'tbody',
          { class: 'published-group', 'data-testid': 'published-group' },
          h(
            'tr',
            {},
            h(
              'th',
              { colspan: COLUMNS.length + 1, class: 'group-title' },
              'Published figures (PASCAL VOC 2012, from the papers; not measured here)',
            ),
          ),
          ...published.map(publishedRow),
        )
      : null,
  );
}

/** The reports of a run in chain order (CAM, IR labels, pseudo mask, segmentation), for per-class tables. */
export function chainReports(run: RunView): EvaluationReport[] {
  return [...run.reports].sort(
    (a, b) => CHAIN_ORDER.indexOf(a.kind) - CHAIN_ORDER.indexOf(b.kind) || a.stageId.localeCompare(b.stageId),
  );
}

/** IoU per class (rows) of each of the run's reports (columns, labelled by kind and split). */
export function perClassChain(run: RunView): HTMLElement | null {
  const reports = chainReports(run);
  if (reports.length === 0) return null;
  const classes = reports[0].classes;
  const head = h(
    'tr',
    {},
    h('th', {}, 'class'),
    ...reports.map((r) =>
      h(
        'th',
        { class: 'num', title: `reports/${r.stageId}.json` },
        CHAIN_LABEL[r.kind],
        h('br'),
        h('span', { class: 'split-tag' }, r.split),
      ),
    ),
  );
  const row = (name: string, values: number[]): HTMLElement => {
    const best = Math.max(...values.filter(Number.isFinite));
    return h(
      'tr',
      { 'data-class': name },
      h('td', {}, name),
      ...values.map((v) =>
        h(
          'td',
          { class: `num${v === best && values.length > 1 ? ' best' : ''}` },
          Number.isFinite(v) ? (v * 100).toFixed(1) : 'n/a',
        ),
      ),
    );
  };
  const body = classes.map((c) =>
    row(
      c,
      reports.map((r) => r.perClassIou[r.classes.indexOf(c)] ?? Number.NaN),
    ),
  );
  const mean = h(
    'tr',
    { class: 'mean' },
    h('td', {}, h('strong', {}, 'mIoU')),
    ...reports.map((r) => h('td', { class: 'num' }, h('strong', {}, (r.miou * 100).toFixed(1)))),
  );
  return h(
    'table',
    { class: 'compare per-class', 'data-testid': 'chain-per-class' },
    h('thead', {}, head),
    h('tbody', {}, ...body, mean),
  );
}
