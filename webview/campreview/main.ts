/**
 * CAM preview editor webview: the image's classes ranked by mean CAM, and the chosen class's CAM heat map
 * over the photo, drawn here with the CAM panel's renderer (../shared/camRendering.ts) from the maps the host
 * sent in the snapshot (extension/panels/campreview/camPreviewHandler.ts): class, colour map and opacity
 * changes redraw locally. State (class, colour map, opacity) survives reloads via setState.
 */
import type { ColormapName } from '../../protocol/webview/cam';
import type { CamPreviewContract, CamPreviewSnapshot, CamPreviewState } from '../../protocol/webview/campreview';
import { COLORMAPS } from '../../common/colormaps';
import { colourBarElement, figureScale } from '../shared/camFigure';
import { decodeMap, drawHeatmap } from '../shared/camRendering';
import { connectPanel } from '../shared/rpc';
import { adoptStyles, appRoot, banner, h, replaceChildren, select, slider } from '../shared/ui';
import css from './campreview.css';

adoptStyles(css);
const panel = connectPanel<CamPreviewContract>();
let state: CamPreviewState = panel.getState() ?? {};
let snap: CamPreviewSnapshot | null = null;
let maps = new Map<number, Uint8Array>();

const header = h('div', { class: 'toolbar', 'data-testid': 'header' });
const controls = h('div', { class: 'toolbar', 'data-testid': 'controls' });
const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
const classList = h('div', {
  class: 'campreview-classes',
  role: 'listbox',
  'aria-label': 'Classes',
  'data-testid': 'classes',
});
const photo = h('img', { alt: 'photo', 'data-testid': 'photo' });
const overlay = h('canvas', { class: 'overlay', 'data-testid': 'overlay' });
const stack = h('div', { class: 'image-stack' }, photo, overlay);
stack.style.display = 'none'; // until a snapshot with CAMs arrives
const caption = h('figcaption', { class: 'campreview-caption', 'data-testid': 'caption' });
const barBox = h('div', { class: 'bar-box' });
appRoot().append(
  h(
    'div',
    { class: 'campreview' },
    header,
    controls,
    messages,
    h(
      'div',
      { class: 'campreview-body' },
      classList,
      h('figure', { class: 'campreview-figure' }, stack, caption, barBox),
    ),
  ),
);

const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);

function saveState(patch: Partial<CamPreviewState>): void {
  state = { ...state, ...patch };
  panel.setState(state);
}

function render(s: CamPreviewSnapshot): void {
  snap = s;
  maps = new Map(s.classes.map((c) => [c.index, decodeMap(c.map)]));
  replaceChildren(
    header,
    h('span', { class: 'path', title: s.file }, s.file),
    h('span', { class: 'spacer' }),
    s.runName ? h('span', { class: 'muted', title: s.runDir ?? '' }, `run ${s.runName}`) : null,
    s.synthetic ? h('span', { class: 'synthetic-tag' }, 'synthetic') : null,
  );
  replaceChildren(messages, s.problem ? banner('error', s.problem) : null);
  if (s.problem || !s.classes.length) {
    replaceChildren(classList);
    replaceChildren(controls);
    stack.style.display = 'none'; // .image-stack's display would override the hidden attribute
    caption.textContent = '';
    return;
  }
  photo.src = s.imageUrl ?? '';
  overlay.width = s.mapWidth;
  overlay.height = s.mapHeight;
  stack.style.display = '';
  // A tiny image is shown at least FIGURE_LONG_SIDE px on its long side, its pixels kept sharp (camFigure.ts).
  const scale = figureScale(s.width, s.height);
  photo.style.width = `${Math.ceil(s.width * scale)}px`;
  stack.classList.toggle('upscaled', scale > 1);
  if (!s.classes.some((c) => c.index === state.classIndex)) saveState({ classIndex: s.classes[0].index });
  replaceChildren(
    controls,
    select({
      label: 'Colour map',
      options: COLORMAPS.map((c) => ({ value: c, label: c })),
      value: state.colormap ?? 'jet',
      testId: 'colormap',
      onChange: (v) => {
        saveState({ colormap: v as ColormapName });
        showOverlay();
      },
    }),
    slider({
      label: 'Opacity',
      min: 0,
      max: 1,
      step: 0.05,
      value: state.opacity ?? 0.5,
      testId: 'opacity',
      format: (v) => `${Math.round(v * 100)}%`,
      onInput: (v) => {
        saveState({ opacity: v });
        showOverlay();
      },
    }).element,
    h('span', { class: 'spacer' }),
    h(
      'span',
      { class: 'muted' },
      `${s.width}×${s.height} px · model input ${s.inputWidth}×${s.inputHeight} · ${Math.round(s.ms)} ms`,
    ),
  );
  renderClasses();
  showOverlay();
}

function renderClasses(): void {
  const head = h(
    'div',
    { class: 'campreview-class campreview-head muted' },
    h('span', {}, 'class'),
    h('span', {}, 'mean'),
    h('span', {}, 'peak'),
  );
  replaceChildren(
    classList,
    head,
    ...(snap?.classes ?? []).map((c) => {
      const item = h(
        'button',
        {
          class: `campreview-class${c.index === state.classIndex ? ' selected' : ''}`,
          role: 'option',
          'aria-selected': String(c.index === state.classIndex),
          'data-testid': `class-${c.name}`,
          title: `mean CAM ${c.mean}, peak CAM ${c.peak}`,
        },
        h('span', {}, c.name),
        h('span', { class: 'score' }, fmt(c.mean)),
        h('span', { class: 'score' }, fmt(c.peak)),
      );
      item.addEventListener('click', () => {
        saveState({ classIndex: c.index });
        renderClasses();
        showOverlay();
      });
      return item;
    }),
  );
}

function showOverlay(): void {
  if (!snap || snap.problem || state.classIndex === null || state.classIndex === undefined) return;
  const name = snap.classes.find((c) => c.index === state.classIndex)?.name ?? '';
  drawHeatmap(
    overlay,
    maps.get(state.classIndex) ?? null,
    snap.mapWidth,
    snap.mapHeight,
    state.colormap ?? 'jet',
    state.opacity ?? 0.5,
  );
  overlay.dataset.classIndex = String(state.classIndex);
  caption.textContent = `CAM of ${name} (max-normalised ReLU CAM, single scale)`;
  replaceChildren(barBox, colourBarElement(state.colormap ?? 'jet', null));
}

panel.onSnapshot(render);
panel.ready();
