/**
 * CAM overlay webview: choose one or two runs (e.g. the GT-prompt run and the POLE selected-word run), an
 * image and a class; see the CAM heat map over the photo and the pseudo mask at a background threshold;
 * export what is shown as a PNG. Talks to extension/panels/cam/camPanel.ts.
 */
import type {
  CamContract,
  CamRunInfo,
  CamSnapshot,
  CamSource,
  CamState,
  CamView,
  ChainMaps,
} from '../../protocol/webview/cam';
import { figureScale } from '../shared/camFigure';
import { connectPanel } from '../shared/rpc';
import { adoptStyles, appRoot, banner, button, h, replaceChildren, select, slider } from '../shared/ui';
import camCss from './cam.css';
import { CamSide, type RenderOptions } from './camSide';
import { chainStrip } from './chainStrip';
import { WordCamCompareView } from './wordCamCompare';
import { COLORMAPS } from '../../common/colormaps';

adoptStyles(camCss);
const panel = connectPanel<CamContract>();
let snap: CamSnapshot = { runs: [], problems: [], initialRun: null };
let state: CamState = panel.getState() ?? {};
let ids: string[] = [];
const sides = { left: new CamSide('left'), right: new CamSide('right') };
let loadToken = 0;

const sourceBar = h('div', { class: 'toolbar', 'data-testid': 'source-bar' });
const controlBar = h('div', { class: 'toolbar', 'data-testid': 'control-bar' });
const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
const wordCam = new WordCamCompareView((p) => panel.request('cam/wordCam', p, 120_000));
const sideBox = h('div', { class: 'cam-sides with-word' }, sides.left.element, wordCam.element);
const chainBox = h('div', { class: 'chain-box', 'data-testid': 'chain-box' });
const classBox = h('span', { class: 'class-select' });
const chains: Partial<Record<'left' | 'right', ChainMaps>> = {};
const imageLabel = h('span', { class: 'muted', 'data-testid': 'image-position' });
const imageField = h('vscode-textfield', {
  'data-testid': 'image-id',
  placeholder: 'image id',
  'aria-label': 'Image id',
}) as HTMLElement & { value: string };

function saveState(patch: Partial<CamState>): void {
  state = { ...state, ...patch };
  panel.setState(state);
}

const options = (): RenderOptions => ({
  classIndex: state.classIndex ?? null,
  colormap: state.colormap ?? 'jet',
  opacity: state.opacity ?? 0.5,
  threshold: state.threshold ?? 0.15, // METHOD §6: the fixed 0.15 of improved CLIMS / POLE
});

const sourceKey = (s: CamSource | null | undefined): string => (s ? `${s.runDir}\n${s.set}` : '');
const parseKey = (k: string): CamSource | null => (k ? { runDir: k.split('\n')[0], set: k.split('\n')[1] } : null);
const runOf = (s: CamSource | null | undefined): CamRunInfo | undefined =>
  snap.runs.find((r) => r.runDir === s?.runDir);

function sourceOptions(withNone: boolean): { value: string; label: string }[] {
  const out = withNone ? [{ value: '', label: '(none)' }] : [];
  for (const r of snap.runs)
    for (const set of r.sets)
      out.push({
        value: sourceKey({ runDir: r.runDir, set }),
        label: `${r.name} · ${set}${r.synthetic ? ' (synthetic)' : ''}`,
      });
  return out;
}

function renderSourceBar(): void {
  const usable = sourceOptions(false);
  replaceChildren(
    sourceBar,
    h('span', {}, 'Run'),
    usable.length
      ? select({
          label: 'Run',
          options: usable,
          value: sourceKey(state.left),
          testId: 'left-source',
          onChange: (v) => void setSources(parseKey(v), state.right ?? null),
        })
      : h('span', { class: 'muted' }, 'no run with CAMs'),
    h('span', {}, 'compare with'),
    select({
      label: 'Second run',
      options: sourceOptions(true),
      value: sourceKey(state.right),
      testId: 'right-source',
      onChange: (v) => void setSources(state.left ?? null, parseKey(v)),
    }),
    button('Add run folder…', 'add-run', () => void addRun(null), true),
  );
  replaceChildren(messages, ...snap.problems.map((p) => banner('warning', p)), runsWithoutCams());
}

/** One compact notice for every run that cannot be shown (no cams/ yet...), its reasons folded away. */
function runsWithoutCams(): HTMLElement | null {
  const without = snap.runs.filter((r) => r.problem);
  if (!without.length) return null;
  return h(
    'details',
    { class: 'runs-without-cams', 'data-testid': 'runs-without-cams' },
    h(
      'summary',
      {},
      `${without.length} run${without.length > 1 ? 's' : ''} without CAMs: ${without.map((r) => r.name).join(', ')}`,
    ),
    h(
      'ul',
      {},
      ...without.map((r) =>
        h('li', { 'data-run': r.runDir, title: r.runDir }, h('strong', {}, r.name), ` — ${r.problem}`),
      ),
    ),
  );
}

function renderControlBar(): void {
  const o = options();
  replaceChildren(
    controlBar,
    button('‹', 'prev-image', () => step(-1), true),
    imageField,
    button('›', 'next-image', () => step(1), true),
    imageLabel,
    classBox,
    select({
      label: 'Colour map',
      options: COLORMAPS.map((c) => ({ value: c, label: c })),
      value: o.colormap,
      testId: 'colormap',
      onChange: (v) => update({ colormap: v as RenderOptions['colormap'] }),
    }),
    slider({
      label: 'Opacity',
      min: 0,
      max: 1,
      step: 0.05,
      value: o.opacity,
      testId: 'opacity',
      format: (v) => `${Math.round(v * 100)}%`,
      onInput: (v) => update({ opacity: v }),
    }).element,
    slider({
      label: 'Background threshold',
      min: 0,
      max: 1,
      step: 0.01,
      value: o.threshold,
      testId: 'threshold',
      format: (v) => v.toFixed(2),
      onInput: (v) => update({ threshold: v }),
    }).element,
    h('span', { class: 'spacer' }),
    button('Export PNG', 'export-png', () => void exportPng()),
  );
}

function renderClassSelect(): void {
  const seen = new Map<number, string>();
  for (const s of [sides.left, sides.right]) for (const c of s.classes) seen.set(c.index, c.name);
  const list = [...seen].sort((a, b) => a[0] - b[0]);
  if (list.length && !seen.has(state.classIndex ?? -1)) saveState({ classIndex: list[0][0] });
  // Same classes as shown: keep the element, so an open drop-down is not torn down under the user.
  const key = JSON.stringify([list, state.classIndex]);
  if (key === classBox.dataset.key) return;
  classBox.dataset.key = key;
  replaceChildren(
    classBox,
    list.length
      ? select({
          label: 'Class',
          options: list.map(([i, n]) => ({ value: String(i), label: n })),
          value: String(state.classIndex),
          testId: 'class-select',
          onChange: (v) => update({ classIndex: Number(v) }),
        })
      : null,
  );
}

function update(patch: Partial<CamState>): void {
  saveState(patch);
  sides.left.render(options());
  if (state.right) sides.right.render(options());
  renderChains();
  followWordCam();
}

/** "Training-free, this word" follows the first run's shown image and class; its word starts as the prompt word. */
function followWordCam(): void {
  const cam = sides.left.classes.find((c) => c.index === state.classIndex);
  wordCam.follow(
    state.left && state.imageId && cam
      ? { runDir: state.left.runDir, imageId: state.imageId, className: cam.name, defaultWord: cam.word ?? cam.name }
      : null,
  );
}

/** The chain strips of the shown sides (only runs with masks/ or a GT for the image get one). */
function renderChains(): void {
  const strips = (['left', 'right'] as const).flatMap((side) => {
    const chain = chains[side];
    const loaded = sides[side].loaded;
    const src = side === 'left' ? state.left : state.right;
    if (!chain || !loaded || !src || (!chain.maps.length && !chain.gt)) return [];
    return [chainStrip({ runName: runOf(src)?.name ?? '', ...loaded }, chain, options())];
  });
  replaceChildren(chainBox, ...strips);
}

async function setSources(left: CamSource | null, right: CamSource | null): Promise<void> {
  saveState({ left, right });
  sideBox.replaceChildren(sides.left.element, ...(right ? [sides.right.element] : []), wordCam.element, chainBox);
  sideBox.classList.toggle('two', !!right);
  ids = [];
  if (!left) {
    sides.left.showMessage(null, 'info', 'No run with CAMs yet.', 'Run an infer_cams stage, or add a run folder.');
    return;
  }
  try {
    const res = await panel.request('cam/images', left);
    ids = res.ids;
    if (res.problem) sides.left.showMessage(runOf(left) ?? null, 'error', res.problem);
  } catch (e) {
    sides.left.showMessage(runOf(left) ?? null, 'error', `Could not list the CAMs: ${(e as Error).message}`);
  }
  if (!ids.length) return;
  await showImage(state.imageId && ids.includes(state.imageId) ? state.imageId : ids[0]);
}

function step(delta: number): void {
  if (!ids.length) return;
  const i = Math.max(0, ids.indexOf(state.imageId ?? ''));
  void showImage(ids[(i + delta + ids.length) % ids.length]);
}

async function showImage(id: string): Promise<void> {
  saveState({ imageId: id });
  imageField.value = id;
  const i = ids.indexOf(id);
  imageLabel.textContent = i >= 0 ? `${i + 1} / ${ids.length}` : `not in ${ids.length} CAMs`;
  const token = ++loadToken;
  const load = async (side: 'left' | 'right', src: CamSource | null | undefined): Promise<void> => {
    if (!src) return;
    const run = runOf(src);
    let view: CamView;
    try {
      view = await panel.request('cam/view', { ...src, id }, 60_000);
    } catch (e) {
      if (token === loadToken)
        sides[side].showMessage(run ?? null, 'error', `Could not load ${id}: ${(e as Error).message}`);
      return;
    }
    if (token !== loadToken || !run) return;
    sides[side].setView(run, src.set, view, options());
    chains[side] = await panel.request('cam/chain', { runDir: src.runDir, id }, 60_000).catch(() => undefined);
    if (token === loadToken) sides[side].setTruth(chains[side], options());
  };
  delete chains.left;
  delete chains.right;
  await Promise.all([load('left', state.left), load('right', state.right)]);
  if (token !== loadToken) return;
  renderClassSelect();
  update({});
}

async function addRun(runDir: string | null): Promise<void> {
  try {
    snap = await panel.request('cam/addRun', { runDir }, 60_000);
    renderSourceBar();
  } catch (e) {
    messages.append(banner('error', `Could not add the run: ${(e as Error).message}`));
  }
}

async function exportPng(): Promise<void> {
  const parts = [
    { side: sides.left, src: state.left },
    ...(state.right ? [{ side: sides.right, src: state.right }] : []),
  ];
  // One scale for both sides (same photo): the long side of each tile at least FIGURE_LONG_SIDE px.
  const longest = Math.max(
    1,
    ...parts.map((p) => Math.max(p.side.loaded?.mapWidth ?? 0, p.side.loaded?.mapHeight ?? 0)),
  );
  const scale = figureScale(longest, longest);
  const o = options();
  const sizes = parts.map((p) => p.side.drawInto(null, 0, 0, runOf(p.src)?.name ?? '', o, scale));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(
    1,
    sizes.reduce((a, s) => a + s.width, 0),
  );
  canvas.height = Math.max(1, ...sizes.map((s) => s.height));
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#1f1f1f';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let x = 0;
  parts.forEach((p, i) => {
    p.side.drawInto(ctx, x, 0, runOf(p.src)?.name ?? '', o, scale);
    x += sizes[i].width;
  });
  try {
    const res = await panel.request('cam/exportPng', {
      fileName: `cam-${state.imageId ?? 'image'}.png`,
      dataUrl: canvas.toDataURL('image/png'),
    });
    if (res.path) messages.replaceChildren(banner('info', `Saved ${res.path}`));
  } catch (e) {
    messages.append(banner('error', `Export failed: ${(e as Error).message}`));
  }
}

imageField.addEventListener('keydown', (e) => {
  if ((e as KeyboardEvent).key === 'Enter') void showImage(imageField.value.trim());
});

panel.onSnapshot((s) => {
  snap = s;
  wordCam.setUnavailable(s.wordCamUnavailable ?? null);
  const valid = (src: CamSource | null | undefined): boolean => !!runOf(src)?.sets.includes(src!.set);
  if (s.initialRun && !state.left) {
    const r = s.runs.find((x) => x.runDir === s.initialRun);
    if (r?.sets.length) state.left = { runDir: r.runDir, set: r.sets[r.sets.length - 1] };
  }
  if (!valid(state.left)) {
    const r = s.runs.find((x) => x.sets.length);
    state.left = r ? { runDir: r.runDir, set: r.sets[r.sets.length - 1] } : null;
  }
  if (!valid(state.right)) state.right = null;
  renderSourceBar();
  renderControlBar();
  void setSources(state.left ?? null, state.right ?? null);
});

replaceChildren(appRoot(), sourceBar, controlBar, messages, sideBox);
panel.ready();
