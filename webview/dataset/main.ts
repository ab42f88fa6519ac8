/**
 * Dataset browser webview: toolbar (root, list), class filter with counts, virtualised thumbnail grid,
 * detail view with GT mask overlay. Talks to extension/panels/dataset/datasetPanel.ts.
 */
import { classCss } from '../../common/classes';
import {
  classState,
  describe,
  isEmpty,
  matches,
  NO_FILTER,
  restoreFilter,
  toggle,
  type ClassFilter,
} from './classFilter';
import type { DatasetContract, DatasetSnapshot, DatasetState, RunMaskSource } from '../../protocol/webview/dataset';
import { connectPanel } from '../shared/rpc';
import { adoptStyles, appRoot, banner, button, h, replaceChildren, select } from '../shared/ui';
import { renderDetail } from './imageDetail';
import { ThumbnailLoader } from './thumbnailLoader';
import { VirtualGrid } from './virtualGrid';
import datasetCss from './dataset.css';

const CELL_W = 144;
const CELL_H = 108 + 34;

adoptStyles(datasetCss);
const panel = connectPanel<DatasetContract>();
let data: DatasetSnapshot | undefined;
let state: DatasetState = panel.getState() ?? {};
let visible: number[] = []; // indices into data.ids after the class filter
let scrollSave: ReturnType<typeof setTimeout> | undefined;
let firstThumbMarked = false; // performance marks read by test/webview/bench-dataset.ts

const toolbar = h('div', { class: 'toolbar' });
const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
const classList = h('nav', { class: 'class-list', 'data-testid': 'class-list', 'aria-label': 'Filter by class' });
const countLabel = h('span', { class: 'muted', 'data-testid': 'visible-count' });
const detailPane = h('div', { class: 'detail-pane', 'data-testid': 'detail-pane' });
detailPane.hidden = true;

const loader = new ThumbnailLoader(
  (ids) => panel.request('dataset/thumbnails', { ids }, 30_000),
  (thumb) => {
    for (const pos of grid.renderedPositions()) {
      if (data?.ids[visible[pos]] === thumb.id) fillTile(grid.cellOf(pos)!, thumb.id);
    }
  },
  (message) => showTransient(message),
);

const grid = new VirtualGrid({
  cellWidth: CELL_W,
  cellHeight: CELL_H,
  gap: 8,
  overscan: 2,
  renderCell: (i) => tile(i),
  onRangeChange: (positions) => {
    if (!data) return;
    loader.want(positions.map((p) => data!.ids[visible[p]]));
    // setState posts to VS Code: once the scrolling stops, not every frame
    clearTimeout(scrollSave);
    scrollSave = setTimeout(() => saveState({ scrollTop: grid.element.scrollTop }), 300);
  },
});

function saveState(patch: Partial<DatasetState>): void {
  state = { ...state, ...patch };
  panel.setState(state);
}

function tile(i: number): HTMLElement {
  const id = data!.ids[i];
  const el = h(
    'button',
    { class: 'tile', 'data-id': id, 'data-testid': 'tile', title: id },
    h('div', { class: 'thumb' }),
    h('div', { class: 'tile-caption' }, h('span', { class: 'tile-id' }, id), classChipsShort(data!.labels[i])),
  );
  if (!data!.hasMask[i]) el.classList.add('no-mask');
  el.addEventListener('click', () => void openDetail(id));
  fillTile(el, id);
  return el;
}

function classChipsShort(indices: number[]): HTMLElement {
  const dots = h('span', { class: 'dots' });
  for (const c of indices) {
    const d = h('span', { class: 'swatch', title: data!.classes[c] });
    d.style.background = classCss(c);
    dots.append(d);
  }
  return dots;
}

function fillTile(el: HTMLElement, id: string): void {
  const thumb = loader.get(id);
  const box = el.querySelector('.thumb')!;
  if (!thumb || box.childElementCount) return;
  if (thumb.url) {
    box.append(h('img', { src: thumb.url, alt: id, draggable: false, decoding: 'async' }));
    if (!firstThumbMarked) performance.mark('wsss:first-thumbnail');
    firstThumbMarked = true;
  } else
    box.append(
      h(
        'span',
        { class: 'thumb-error', title: thumb.error ?? '' },
        thumb.error?.startsWith('missing') ? 'missing' : 'unreadable',
      ),
    );
}

function render(): void {
  if (!data) return;
  renderToolbar(data);
  replaceChildren(
    messages,
    data.problem ? banner('error', data.problem.message, data.problem.hint) : null,
    ...data.warnings.map((w) => banner('warning', w.message, w.hint)),
    data.root ? null : welcome(data.suggestions ?? []),
  );
  renderClassList(data);
  applyFilter(false);
}

function renderToolbar(d: DatasetSnapshot): void {
  const setSelect = d.sets.length
    ? select({
        label: 'Image list',
        options: d.sets.map((s) => ({ value: s, label: s })),
        value: d.set,
        testId: 'set-select',
        onChange: (set) => void open(d.root, set),
      })
    : null;
  replaceChildren(
    toolbar,
    button(d.root ? 'Open…' : 'Open dataset root…', 'open-root', () => void open(null)),
    d.root
      ? h('span', { class: 'path', title: d.root, 'data-testid': 'root-path' }, d.root)
      : h('span', { class: 'muted' }, 'No dataset open'),
    d.synthetic ? h('span', { class: 'synthetic-tag' }, 'synthetic') : null,
    setSelect,
    h('span', { class: 'spacer' }),
    countLabel,
  );
}

/** With no dataset open: what the browser takes, and the roots found nearby. */
function welcome(suggestions: string[]): HTMLElement {
  return h(
    'section',
    { class: 'welcome', 'data-testid': 'welcome' },
    h(
      'p',
      {},
      'Open a VOC-layout dataset root: a folder with JPEGImages/<id>.jpg, optionally SegmentationClass/<id>.png masks, ImageSets/Segmentation/<list>.txt lists and labels.json — a VOCdevkit, the photos, or a synthetic world.',
    ),
    suggestions.length ? h('p', { class: 'muted' }, 'Found in this workspace and its runs:') : null,
    ...suggestions.map((root) => {
      const b = button(root, 'suggested-root', () => void open(root), true);
      b.title = root;
      return b;
    }),
  );
}

/** The class filter: click a class to require it, ⊘ to exclude it; "all of" / "any of" when several are required. */
function renderClassList(d: DatasetSnapshot): void {
  classList.hidden = !d.root || d.problem !== null;
  const counts = new Array(d.classes.length).fill(0);
  for (const ls of d.labels) for (const c of ls) counts[c]++;
  const f = filter();
  const setFilter = (next: ClassFilter): void => {
    saveState({ filter: next, classFilter: undefined });
    renderClassList(d);
    applyFilter(true);
  };
  const item = (value: number): HTMLElement => {
    const st = classState(f, value);
    const exclude = h(
      'button',
      {
        class: 'exclude-class',
        'data-testid': 'exclude-class',
        title: st === 'exclude' ? `Stop excluding ${d.classes[value]}` : `Only images without ${d.classes[value]}`,
        'aria-pressed': String(st === 'exclude'),
      },
      '⊘',
    );
    const el = h(
      'div',
      {
        class: `class-item${st === 'include' ? ' selected' : ''}${st === 'exclude' ? ' excluded' : ''}`,
        role: 'option',
        tabindex: 0,
        'aria-selected': String(st === 'include'),
        'data-testid': 'class-filter',
        'data-class': d.classes[value],
        'data-state': st ?? 'none',
        title: `Images with ${d.classes[value]} (click again to drop it)`,
      },
      swatch(value),
      h('span', { class: 'class-name' }, d.classes[value]),
      h('span', { class: 'count' }, String(counts[value])),
      exclude,
    );
    el.addEventListener('click', () => setFilter(toggle(f, value, 'include')));
    el.addEventListener(
      'keydown',
      (e) => (e.key === 'Enter' || e.key === ' ') && setFilter(toggle(f, value, 'include')),
    );
    exclude.addEventListener('click', (e) => {
      e.stopPropagation();
      setFilter(toggle(f, value, 'exclude'));
    });
    return el;
  };
  const all = h(
    'div',
    {
      class: `class-item${isEmpty(f) ? ' selected' : ''}`,
      role: 'option',
      tabindex: 0,
      'data-testid': 'class-filter',
      'data-class': 'all',
    },
    h('span', {}, 'All images'),
    h('span', { class: 'count' }, String(d.ids.length)),
  );
  all.addEventListener('click', () => setFilter(NO_FILTER));
  all.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && setFilter(NO_FILTER));
  const mode =
    f.include.length > 1
      ? h(
          'div',
          { class: 'filter-mode', role: 'radiogroup', 'aria-label': 'Images with' },
          ...(['all', 'any'] as const).map((m) => {
            const b = h(
              'button',
              {
                class: `mode${f.mode === m ? ' selected' : ''}`,
                role: 'radio',
                'aria-checked': String(f.mode === m),
                'data-testid': `filter-${m}`,
              },
              `${m} of`,
            );
            b.addEventListener('click', () => setFilter({ ...f, mode: m }));
            return b;
          }),
        )
      : null;
  replaceChildren(classList, all, mode, ...d.classes.map((_, i) => (counts[i] ? item(i) : null)));
}

function swatch(c: number): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = classCss(c);
  return s;
}

/** The filter in force (an older panel's saved single class included). */
function filter(): ClassFilter {
  return restoreFilter(state.filter, state.classFilter);
}

function applyFilter(resetScroll: boolean): void {
  if (!data) return;
  const f = filter();
  visible = [];
  for (let i = 0; i < data.ids.length; i++) if (matches(data.labels[i], f)) visible.push(i);
  countLabel.textContent = isEmpty(f)
    ? `${visible.length} images`
    : `${visible.length} of ${data.ids.length} images ${describe(f, data.classes)}`;
  countLabel.dataset.count = String(visible.length);
  grid.setItems(visible, resetScroll);
  if (!resetScroll && state.scrollTop) grid.scrollTo(state.scrollTop);
}

async function open(root: string | null, set?: string): Promise<void> {
  try {
    const snap = await panel.request('dataset/open', { root, set }, 120_000);
    loader.reset();
    data = snap;
    saveState({
      root: snap.root,
      set: snap.set,
      filter: NO_FILTER,
      classFilter: undefined,
      selectedId: null,
      scrollTop: 0,
    });
    closeDetail();
    render();
  } catch (e) {
    showTransient(`Could not open the dataset: ${(e as Error).message}`);
  }
}

/** Runs' mask sets to overlay, listed once per panel (the run folders are searched on first use). */
let runMaskSources: RunMaskSource[] | undefined;

async function openDetail(id: string): Promise<void> {
  saveState({ selectedId: id });
  detailPane.hidden = false;
  replaceChildren(detailPane, h('vscode-progress-ring', {}));
  try {
    runMaskSources ??= await panel.request('dataset/maskSources', {}).catch(() => []);
    const detail = await panel.request('dataset/image', { id, runMasks: state.runMasks ?? null });
    if (state.selectedId !== id) return;
    replaceChildren(
      detailPane,
      renderDetail(detail, {
        classes: data?.classes ?? [],
        showMask: state.showMask ?? true,
        opacity: state.opacity ?? 0.6,
        onShowMask: (showMask) => saveState({ showMask }),
        onOpacity: (opacity) => saveState({ opacity }),
        onClose: closeDetail,
        runMaskSources,
        runMasks: state.runMasks ?? null,
        onRunMasks: (runMasks) => {
          saveState({ runMasks });
          void openDetail(id);
        },
      }),
    );
  } catch (e) {
    replaceChildren(detailPane, banner('error', `Could not load ${id}: ${(e as Error).message}`));
  }
}

function closeDetail(): void {
  detailPane.hidden = true;
  replaceChildren(detailPane);
  saveState({ selectedId: null });
}

function showTransient(message: string): void {
  const b = banner('error', message);
  messages.append(b);
  setTimeout(() => b.remove(), 8000);
}

panel.onSnapshot((snap) => {
  performance.mark('wsss:snapshot-received');
  const restoring = !data && state.root === snap.root;
  data = snap;
  if (!restoring) state = { ...state, filter: NO_FILTER, classFilter: undefined, selectedId: null, scrollTop: 0 };
  saveState({ root: snap.root, set: snap.set });
  render();
  performance.mark('wsss:snapshot-rendered');
  if (restoring && state.selectedId && snap.ids.includes(state.selectedId)) void openDetail(state.selectedId);
});

replaceChildren(
  appRoot(),
  toolbar,
  messages,
  h('div', { class: 'layout' }, classList, h('div', { class: 'content' }, grid.element), detailPane),
);
performance.mark('wsss:ready-sent');
panel.ready();
