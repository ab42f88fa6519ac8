/**
 * One side of the comparison: a run's CAM of the chosen class as a heat map over the photo, and the pseudo
 * mask at the background threshold over the photo, with the run's name, prompt mode and the chosen word.
 */
import { classCss } from '../../common/classes';
import { labelMapIou, type ClassMask } from '../../common/labelIou';
import type { CamRunInfo, CamView, ChainMaps, ColormapName } from '../../protocol/webview/cam';
import { banner, h, percent, replaceChildren } from '../shared/ui';
import { colourBarElement, drawColourBar, drawCrisp, drawText, FIGURE_LAYOUT } from '../shared/camFigure';
import { decodeCams, decodeMap, drawHeatmap, pseudoMaskPixels, type DecodedCam } from '../shared/camRendering';

export interface RenderOptions {
  classIndex: number | null;
  colormap: ColormapName;
  opacity: number;
  threshold: number;
}

/**
 * The caption of one CAM: the prompt its model was trained with for this image and class (POLE's selected
 * word, the ground-truth word, or none for a baseline CAM), not a generic "class name" for every run.
 */
export function promptCaption(mode: string | null, cam: DecodedCam): { text: string; word: string | null } {
  if (mode === null || mode === 'none') return { text: 'no prompt (baseline CAM)', word: null };
  if (mode === 'gt') return { text: `prompt “${cam.name}” (ground-truth word)`, word: cam.name };
  if (mode === 'selected' || mode === 'online') {
    return cam.word
      ? { text: `prompt “${cam.word}” (POLE’s selected word)`, word: cam.word }
      : { text: 'prompt: no selected word recorded for this image', word: null };
  }
  return { text: `prompt: ${mode}`, word: null };
}

const PROMPT_LABEL: Record<string, string> = {
  gt: 'prompts: GT class names',
  selected: 'prompts: POLE selected words',
  online: 'prompts: online selection',
};

export class CamSide {
  readonly element: HTMLElement;
  private view: CamView | null = null;
  private cams: DecodedCam[] = [];
  private photo: HTMLImageElement | null = null;
  private readonly heat = h('canvas', { class: 'overlay', 'data-testid': 'heatmap' });
  private readonly pseudo = h('canvas', { class: 'overlay', 'data-testid': 'pseudo-mask' });
  private readonly heatCaption = h('div', { class: 'caption', 'data-testid': 'heat-caption' });
  private readonly pseudoCaption = h('div', { class: 'caption', 'data-testid': 'pseudo-caption' });
  private readonly barBox = h('div', { class: 'bar-box' });
  private readonly truthCaption = h('div', { class: 'caption', 'data-testid': 'truth-caption' });
  private readonly truthBox = h('figure', { 'data-testid': 'truth' });
  private promptMode: string | null = null;
  private truth: ClassMask | null = null;

  constructor(readonly side: 'left' | 'right') {
    this.element = h('section', { class: 'cam-side', 'data-testid': `side-${side}` });
  }

  /** Show a message instead of CAMs (no run chosen, run unusable). */
  showMessage(run: CamRunInfo | null, kind: 'error' | 'warning' | 'info', message: string, hint?: string): void {
    this.view = null;
    replaceChildren(this.element, run ? this.header(run, null) : null, banner(kind, message, hint));
  }

  /** New data for this side (an image of a run). */
  setView(run: CamRunInfo, set: string, view: CamView, opts: RenderOptions): void {
    this.view = view;
    this.promptMode = run.setPrompts?.[set] ?? run.prompt;
    this.truth = null;
    this.cams = decodeCams(view.cams);
    this.photo = view.imageUrl ? h('img', { src: view.imageUrl, alt: view.id, 'data-testid': 'photo' }) : null;
    for (const c of [this.heat, this.pseudo]) {
      c.width = view.mapWidth || 1;
      c.height = view.mapHeight || 1;
      c.classList.toggle('overlay', !!this.photo);
    }
    const stack = (canvas: HTMLCanvasElement): HTMLElement => {
      const s = h('div', { class: 'image-stack' });
      if (view.width && view.width < 320) s.classList.add('upscaled');
      if (this.photo) s.append(this.photo.cloneNode() as HTMLImageElement);
      s.append(canvas);
      return s;
    };
    replaceChildren(
      this.element,
      this.header(run, set),
      view.problem ? banner('error', view.problem) : null,
      view.imageProblem ? banner('warning', view.imageProblem) : null,
      view.note ? banner('info', view.note) : null,
      view.problem
        ? null
        : h(
            'div',
            { class: 'cam-views' },
            h('figure', {}, stack(this.heat), this.heatCaption, this.barBox),
            h('figure', {}, stack(this.pseudo), this.pseudoCaption),
            this.truthBox,
          ),
    );
    replaceChildren(this.truthBox);
    this.render(opts);
  }

  /** The image's ground truth (from the chain read): shown beside the pseudo mask, which is scored against it. */
  setTruth(chain: ChainMaps | undefined, opts: RenderOptions): void {
    const gt = chain?.gt;
    const labels = chain?.gtLabels;
    this.truth = labels ? { width: labels.width, height: labels.height, data: decodeMap(labels.data) } : null;
    replaceChildren(
      this.truthBox,
      gt?.url
        ? h(
            'div',
            { class: 'image-stack' },
            h('img', { src: gt.url, alt: `ground truth of ${chain!.id}`, 'data-testid': 'truth-map' }),
          )
        : null,
      gt?.url ? this.truthCaption : null,
    );
    replaceChildren(this.truthCaption, h('span', {}, 'Ground truth'));
    this.render(opts);
  }

  /** Redraw with new controls (class, colour map, opacity, threshold): no host round trip. */
  render(opts: RenderOptions): void {
    const v = this.view;
    if (!v || v.problem) return;
    const cam = this.cams.find((c) => c.index === opts.classIndex) ?? null;
    drawHeatmap(this.heat, cam?.map ?? null, v.mapWidth, v.mapHeight, opts.colormap, opts.opacity);
    replaceChildren(this.barBox, colourBarElement(opts.colormap, opts.threshold));
    replaceChildren(
      this.heatCaption,
      cam
        ? h('span', {}, swatch(cam.index), ` CAM of ${cam.name} — `, this.promptSpan(cam))
        : h(
            'span',
            { class: 'muted' },
            opts.classIndex === null ? 'No class chosen' : 'No CAM for this class in this run',
          ),
    );
    const { image, counts, labels } = pseudoMaskPixels(this.cams, v.mapWidth, v.mapHeight, opts.threshold);
    this.pseudo.getContext('2d')!.putImageData(image, 0, 0);
    this.pseudo.style.opacity = String(opts.opacity);
    const total = v.mapWidth * v.mapHeight;
    const fg = [...counts.values()].reduce((a, b) => a + b, 0);
    this.pseudoCaption.dataset.foreground = (fg / total).toFixed(4);
    replaceChildren(
      this.pseudoCaption,
      h('span', {}, `Pseudo mask at threshold ${opts.threshold.toFixed(2)}: `),
      ...this.cams.map((c) =>
        h(
          'span',
          { class: 'chip' },
          swatch(c.index),
          ` ${c.name} ${((100 * (counts.get(c.index) ?? 0)) / total).toFixed(1)}%`,
        ),
      ),
      this.iouSpan(labels),
    );
  }

  private promptSpan(cam: DecodedCam): HTMLElement {
    const { text, word } = promptCaption(this.promptMode, cam);
    return word
      ? h('span', { class: 'word', 'data-testid': 'prompt-word', 'data-word': word }, text)
      : h('span', { class: 'muted', 'data-testid': 'prompt-none' }, text);
  }

  /** This pseudo mask's per-image mIoU against the GT (common/labelIou.ts: the chain strip's rule). */
  private iouSpan(labels: Uint8Array): HTMLElement | null {
    const v = this.view;
    if (!this.truth || !v) return null;
    if (this.truth.width !== v.mapWidth || this.truth.height !== v.mapHeight) {
      return h(
        'span',
        { class: 'muted' },
        `no IoU: the CAM is ${v.mapWidth}×${v.mapHeight}, the GT ${this.truth.width}×${this.truth.height}`,
      );
    }
    const { miou } = labelMapIou({ width: v.mapWidth, height: v.mapHeight, data: labels }, this.truth);
    return miou === null
      ? null
      : h(
          'span',
          { class: 'chain-iou', 'data-testid': 'pseudo-iou', 'data-iou': miou.toFixed(4) },
          `IoU vs GT ${percent(miou)}`,
        );
  }

  /**
   * Draw this side into an export canvas at (x, y), or only measure it when `ctx` is null: title, the heat map
   * over the photo with its caption and colour bar, the pseudo mask with its IoU, the GT; tiles enlarged by
   * `scale` with nearest-neighbour sampling (webview/shared/camFigure.ts).
   */
  drawInto(
    ctx: CanvasRenderingContext2D | null,
    x: number,
    y: number,
    runName: string,
    opts: RenderOptions,
    scale: number,
  ): { width: number; height: number } {
    const v = this.view;
    if (!v || v.problem) return { width: 0, height: 0 };
    const { pad, line, titleFont } = FIGURE_LAYOUT;
    const tileW = Math.round(v.mapWidth * scale);
    const tileH = Math.round(v.mapHeight * scale);
    const width = Math.max(tileW, 360) + 2 * pad;
    const cam = this.cams.find((c) => c.index === opts.classIndex) ?? null;
    const photo = this.element.querySelector<HTMLImageElement>('[data-testid=photo]');
    const truth = this.truthBox.querySelector<HTMLImageElement>('[data-testid=truth-map]');
    const textW = width - 2 * pad;
    let top = y + pad;
    const text = (t: string, size?: number, bold?: boolean): void => {
      if (ctx) drawText(ctx, t, x + pad, top + line / 2, textW, size, bold);
      top += line;
    };
    const tile = (layers: { src: CanvasImageSource | null; alpha: number }[]): void => {
      if (ctx) {
        ctx.fillStyle = '#000000';
        ctx.fillRect(x + pad, top, tileW, tileH);
        for (const l of layers) if (l.src) drawCrisp(ctx, l.src, x + pad, top, tileW, tileH, l.alpha);
      }
      top += tileH + 4;
    };
    text(runName, titleFont, true);
    text(
      `${v.id} · ${cam ? `CAM of ${cam.name} — ${promptCaption(this.promptMode, cam).text}` : 'no CAM for this class'}`,
    );
    tile([
      { src: photo, alpha: 1 },
      { src: this.heat, alpha: opts.opacity },
    ]);
    if (ctx) top += drawColourBar(ctx, x + pad, top + 4, Math.min(textW, 420), opts.colormap, opts.threshold) + 8;
    else top += FIGURE_LAYOUT.barHeight + 34 + 8;
    const iou = this.pseudoCaption.querySelector<HTMLElement>('[data-testid=pseudo-iou]')?.textContent;
    text(`Pseudo mask at background threshold ${opts.threshold.toFixed(2)}${iou ? ` · ${iou}` : ''}`);
    tile([
      { src: photo, alpha: 1 },
      { src: this.pseudo, alpha: opts.opacity },
    ]);
    if (truth) {
      text('Ground truth');
      tile([{ src: truth, alpha: 1 }]);
    }
    return { width, height: top - y + pad };
  }

  get classes(): DecodedCam[] {
    return this.cams;
  }

  /** The photo and CAMs the chain strip reuses (null before an image is shown). */
  get loaded(): { photoUrl: string | null; mapWidth: number; mapHeight: number; cams: DecodedCam[] } | null {
    const v = this.view;
    return v && !v.problem
      ? { photoUrl: v.imageUrl, mapWidth: v.mapWidth, mapHeight: v.mapHeight, cams: this.cams }
      : null;
  }

  private header(run: CamRunInfo, set: string | null): HTMLElement {
    return h(
      'header',
      { class: 'cam-side-header' },
      h('strong', { 'data-testid': 'run-name' }, run.name),
      set ? h('span', { class: 'muted' }, ` cams/${set}`) : null,
      run.synthetic ? h('span', { class: 'synthetic-tag' }, 'synthetic') : null,
      run.prompt
        ? h(
            'span',
            { class: 'muted', 'data-testid': 'prompt-mode' },
            PROMPT_LABEL[run.prompt] ?? `prompts: ${run.prompt}`,
          )
        : null,
      run.warnings.length
        ? h(
            'span',
            { class: 'cam-side-warning synthetic-tag', title: run.warnings.join('\n'), 'data-testid': 'run-warning' },
            run.warnings[0],
          )
        : null,
    );
  }
}

function swatch(index: number): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = classCss(index);
  return s;
}
