/**
 * The chain of one image side by side (issue 8): photo, CAM of the chosen class, then every label map the run
 * has (IR labels with their fg / bg / ignore shares, random-walk pseudo mask, segmenter output) and the ground
 * truth, each in VOC palette colours under one legend of class names, with its IoU against the GT.
 */
import { CHAIN_LABEL } from '../../common/chain';
import { IGNORE_INDEX, paletteColor } from '../../common/classes';
import type { ChainMaps, LabelMapView } from '../../protocol/webview/cam';
import { drawHeatmap, type DecodedCam } from '../shared/camRendering';
import { h } from '../shared/ui';
import type { RenderOptions } from './camSide';

/** What the strip needs of the side it belongs to: the photo and the CAM maps already loaded. */
export interface StripSource {
  runName: string;
  photoUrl: string | null;
  mapWidth: number;
  mapHeight: number;
  cams: DecodedCam[];
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function swatch(value: number): HTMLElement {
  const s = h('span', { class: 'swatch' });
  const [r, g, b] = paletteColor(value);
  s.style.background = `rgb(${r}, ${g}, ${b})`;
  return s;
}

function valueName(value: number, classes: string[]): string {
  if (value === 0) return 'background';
  if (value === IGNORE_INDEX) return 'ignore';
  return classes[value - 1] ?? `class ${value}`;
}

function figure(kind: string, title: string, body: Node, ...caption: (Node | string | null)[]): HTMLElement {
  return h(
    'figure',
    { class: 'chain-figure', 'data-testid': 'chain-figure', 'data-kind': kind },
    body,
    h('figcaption', {}, h('strong', {}, title), ...caption.filter((c): c is Node | string => c !== null)),
  );
}

function mapFigure(m: LabelMapView): HTMLElement {
  const title = m.kind === 'ground_truth' ? 'ground truth' : `${CHAIN_LABEL[m.kind]}`;
  const body = m.url
    ? h('img', { src: m.url, alt: `${title} (${m.stage})`, 'data-testid': 'label-map' })
    : h('div', { class: 'chain-missing' }, m.problem ?? 'not available');
  const share = (pred: (v: number) => boolean): number =>
    m.values.filter((v) => pred(v.value)).reduce((a, v) => a + v.fraction, 0);
  const shares =
    m.kind === 'ir_labels' && m.url
      ? h(
          'span',
          { class: 'muted', 'data-testid': 'ir-shares' },
          `fg ${pct(share((v) => v > 0 && v !== IGNORE_INDEX))} · bg ${pct(share((v) => v === 0))} · ignore ${pct(share((v) => v === IGNORE_INDEX))}`,
        )
      : null;
  const iou =
    m.iou !== null
      ? h(
          'span',
          { class: 'chain-iou', 'data-testid': 'image-iou', 'data-iou': m.iou.toFixed(4) },
          `IoU vs GT ${pct(m.iou)}${m.labelled !== null && m.labelled < 0.995 ? ` (on the ${pct(m.labelled)} it labels)` : ''}`,
        )
      : null;
  return figure(
    m.kind,
    title,
    body,
    m.kind === 'ground_truth' ? null : h('span', { class: 'muted' }, `masks/${m.stage}`),
    shares,
    iou,
    m.url && m.problem ? h('span', { class: 'chain-problem' }, m.problem) : null,
  );
}

/** The strip for one run and image; `opts` gives the class and colour map of the CAM figure. */
export function chainStrip(src: StripSource, chain: ChainMaps, opts: RenderOptions): HTMLElement {
  const photo = src.photoUrl
    ? h('img', { src: src.photoUrl, alt: chain.id, 'data-testid': 'chain-photo' })
    : h('div', { class: 'chain-missing' }, 'no photo');
  const cam = src.cams.find((c) => c.index === opts.classIndex) ?? null;
  const heat = h('canvas', { class: 'overlay' });
  heat.width = src.mapWidth || 1;
  heat.height = src.mapHeight || 1;
  drawHeatmap(heat, cam?.map ?? null, src.mapWidth, src.mapHeight, opts.colormap, 1);
  heat.style.opacity = String(Math.max(opts.opacity, 0.6));
  const camStack = h(
    'div',
    { class: 'image-stack' },
    src.photoUrl ? h('img', { src: src.photoUrl, alt: '' }) : null,
    heat,
  );
  const maps = [...chain.maps, ...(chain.gt ? [chain.gt] : [])];
  const seen = new Set<number>();
  for (const m of maps) for (const v of m.values) seen.add(v.value);
  const legend = h(
    'div',
    { class: 'chain-legend', 'data-testid': 'chain-legend' },
    ...[...seen]
      .sort((a, b) => a - b)
      .map((v) => h('span', { class: 'chip', 'data-value': v }, swatch(v), ` ${valueName(v, chain.classes)}`)),
  );
  return h(
    'section',
    { class: 'chain-strip', 'data-testid': 'chain-strip' },
    h(
      'header',
      { class: 'cam-side-header' },
      h('strong', {}, `Chain of ${chain.id}`),
      h('span', { class: 'muted' }, src.runName),
    ),
    chain.note ? h('p', { class: 'muted', 'data-testid': 'chain-note' }, chain.note) : null,
    h(
      'div',
      { class: 'chain-figures' },
      figure('photo', 'photo', photo),
      figure(
        'cam',
        'CAM',
        camStack,
        cam ? h('span', { class: 'muted' }, cam.name) : h('span', { class: 'muted' }, 'no CAM for this class'),
      ),
      ...maps.map(mapFigure),
    ),
    seen.size ? legend : null,
    chain.gt ? null : h('p', { class: 'muted' }, "No ground truth for this image in the run's dataset: no IoU."),
  );
}
