/**
 * How often each word won (METHOD §2.2; the paper's Fig. 4): a radar for the class in focus with this
 * run's selection and the authors' beside it, a counts table, and one small radar per class.
 */
import type { SelectionStatsView, SynonymClassView } from '../../protocol/webview/synonyms';
import { chartFigure, htmlLegend, seriesColour, translucent, type ChartFigure } from '../shared/charts/chart';
import { h, percent } from '../shared/ui';
import { classShares, overallGroundTruthShare } from './wordShares';

const RUN = 'this run';
const OFFICIAL = "authors' selection (POLE)";

/** A radar of word shares: one axis per word (ground truth first), one filled polygon per source. */
function radarChart(opts: {
  axes: string[];
  series: { name: string; values: number[] }[];
  size: number;
  title: string;
  testId?: string;
  showLegend: boolean;
  maxLabelChars?: number;
}): ChartFigure {
  const max = Math.max(0.1, ...opts.series.flatMap((s) => s.values));
  const clip = (w: string): string =>
    opts.maxLabelChars && w.length > opts.maxLabelChars ? `${w.slice(0, opts.maxLabelChars - 1)}…` : w;
  const small = !opts.showLegend;
  return chartFigure({
    testId: opts.testId,
    width: opts.size + (small ? 64 : 140),
    height: opts.size + (small ? 30 : 70),
    description: `${opts.title}: ${opts.series
      .map((s) => `${s.name}: ${opts.axes.map((a, i) => `${a} ${percent(s.values[i], 1)}`).join(', ')}`)
      .join('. ')}`,
    config: {
      type: 'radar',
      data: {
        labels: opts.axes.map(clip),
        datasets: opts.series.map((s, i) => ({
          label: s.name,
          data: s.values,
          borderColor: seriesColour(i),
          backgroundColor: translucent(seriesColour(i), 0.2),
          borderWidth: small ? 1 : 1.8,
          pointRadius: small ? 0 : 2,
          fill: true,
        })),
      },
      options: {
        events: small ? [] : undefined, // a grid cell is a button: the click picks the class
        scales: {
          r: {
            min: 0,
            max: Math.min(1, Math.ceil(max * 10) / 10),
            ticks: { display: !small, callback: (v) => percent(Number(v), 0), backdropColor: 'transparent' },
            pointLabels: { font: { size: small ? 9 : 11 } },
          },
        },
        plugins: {
          title: { display: true, text: opts.title },
          legend: { display: opts.showLegend, position: 'bottom' },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${percent(Number(c.raw), 1)}` } },
        },
      },
    },
  });
}

/** The sources that have data, with their names, in a fixed order (run first: series colour 0). */
function sources(stats: SelectionStatsView): { name: string; counts: NonNullable<SelectionStatsView['run']> }[] {
  const out = [];
  if (stats.run) out.push({ name: RUN, counts: stats.run });
  if (stats.official) out.push({ name: OFFICIAL, counts: stats.official });
  return out;
}

export function classSelection(cls: SynonymClassView, stats: SelectionStatsView): HTMLElement {
  const src = sources(stats);
  const notes = [stats.runMessage, stats.officialMessage].filter((m): m is string => !!m);
  const section = h(
    'section',
    { class: 'selection', 'data-testid': 'class-selection' },
    h('h3', {}, `How often each word won for "${cls.name}"`),
  );
  if (src.length === 0) {
    section.append(h('p', { class: 'muted' }, notes.join(' ') || 'No selection statistics.'));
    return section;
  }
  const { words, shares, totals, removed } = classShares(
    cls.name,
    cls.words,
    src.map((s) => s.counts),
  );
  if (removed.length)
    notes.push(
      `Not in the bank any more, so no axis: ${removed.map((r) => `"${r.word}" (${r.wins} win${r.wins === 1 ? '' : 's'})`).join(', ')}; their wins still count in n.`,
    );
  const table = h(
    'table',
    { class: 'counts', 'data-testid': 'win-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'word'), ...src.map((s, i) => h('th', {}, `${s.name} (n=${totals[i]})`)))),
    h(
      'tbody',
      {},
      ...words.map((w, k) =>
        h(
          'tr',
          { 'data-word': w },
          h('td', {}, w, k === 0 ? h('span', { class: 'gt-tag small' }, 'GT') : null),
          ...src.map((_, i) => h('td', { class: 'num' }, percent(shares[i][k], 1))),
        ),
      ),
    ),
  );
  section.append(
    h(
      'div',
      { class: 'selection-row' },
      radarChart({
        axes: words,
        series: src.map((s, i) => ({ name: s.name, values: shares[i] })),
        size: 220,
        title: cls.name,
        testId: 'class-radar',
        showLegend: true,
      }),
      h('div', {}, table, ...notes.map((n) => h('p', { class: 'muted note' }, n))),
    ),
  );
  return section;
}

export function allClassesSelection(
  classes: SynonymClassView[],
  stats: SelectionStatsView,
  onPick: (name: string) => void,
): HTMLElement {
  const src = sources(stats);
  const section = h('section', { class: 'selection-grid-section', 'data-testid': 'all-radars' });
  if (src.length === 0) return section;
  const summary = src
    .map(
      (s) => `${s.name}: ground-truth word wins ${percent(overallGroundTruthShare(classes, s.counts), 1)} of instances`,
    )
    .join(' · ');
  section.append(
    h('h3', {}, 'Word wins per class (Fig. 4)'),
    h('p', { class: 'muted', 'data-testid': 'gt-share' }, summary),
  );
  if (src.length > 1) section.append(htmlLegend(src.map((s) => s.name)));
  const grid = h('div', { class: 'radar-grid' });
  for (const cls of classes.filter((c) => c.editable)) {
    const { words, shares, totals } = classShares(
      cls.name,
      cls.words,
      src.map((s) => s.counts),
    );
    if (totals.every((t) => t === 0)) continue;
    const cell = h(
      'button',
      { class: 'radar-cell', 'data-class': cls.name, title: `Edit ${cls.name}` },
      radarChart({
        axes: words,
        series: src.map((s, i) => ({ name: s.name, values: shares[i] })),
        size: 84,
        title: cls.name,
        showLegend: false,
        maxLabelChars: 10,
      }),
    );
    cell.addEventListener('click', () => onPick(cls.name));
    grid.append(cell);
  }
  section.append(grid);
  return section;
}
