/**
 * One side of the comparison: a run's CAM of the chosen class as a heat map over the photo, and the pseudo
 * mask at the background threshold over the photo, with the run's name, prompt mode and the chosen word.
 */
import { classCss } from '../../common/classes';
import type { CamRunInfo, CamView, ColormapName } from '../../protocol/webview/cam';
import { banner, h, replaceChildren } from '../shared/ui';
import { decodeCams, drawHeatmap, pseudoMaskPixels, type DecodedCam } from '../shared/camRendering';

export interface RenderOptions {
  classIndex: number | null;
  colormap: ColormapName;
  opacity: number;
  threshold: number;
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
            h('figure', {}, stack(this.heat), this.heatCaption),
            h('figure', {}, stack(this.pseudo), this.pseudoCaption),
          ),
    );
    this.render(opts);
  }

  /** Redraw with new controls (class, colour map, opacity, threshold): no host round trip. */
  render(opts: RenderOptions): void {
    const v = this.view;
    if (!v || v.problem) return;
    const cam = this.cams.find((c) => c.index === opts.classIndex) ?? null;
    drawHeatmap(this.heat, cam?.map ?? null, v.mapWidth, v.mapHeight, opts.colormap, opts.opacity);
    replaceChildren(
      this.heatCaption,
      cam
        ? h(
            'span',
            {},
            swatch(cam.index),
            ` CAM of ${cam.name}`,
            cam.word
              ? h('span', { class: 'word', 'data-testid': 'prompt-word' }, ` — prompt “${cam.word}”`)
              : h('span', { class: 'muted' }, ' — prompt: class name'),
          )
        : h(
            'span',
            { class: 'muted' },
            opts.classIndex === null ? 'No class chosen' : 'No CAM for this class in this run',
          ),
    );
    const { image, counts } = pseudoMaskPixels(this.cams, v.mapWidth, v.mapHeight, opts.threshold);
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
    );
  }

  /** Draw this side into an export canvas at (x, y): heat overlay above, pseudo mask below; returns its size. */
  drawInto(ctx: CanvasRenderingContext2D, x: number, y: number, title: string): { width: number; height: number } {
    const v = this.view;
    if (!v || v.problem) return { width: 0, height: 0 };
    const w = v.mapWidth,
      hgt = v.mapHeight,
      bar = 22;
    ctx.fillStyle = '#1f1f1f';
    ctx.fillRect(x, y, w, bar);
    ctx.fillStyle = '#ffffff';
    ctx.font = '13px sans-serif';
    ctx.fillText(title, x + 6, y + 15, w - 12);
    for (const [i, canvas] of [this.heat, this.pseudo].entries()) {
      const top = y + bar + i * hgt;
      ctx.fillStyle = '#000000';
      ctx.fillRect(x, top, w, hgt);
      const img = this.element.querySelector<HTMLImageElement>('[data-testid=photo]');
      if (img) ctx.drawImage(img, x, top, w, hgt);
      ctx.globalAlpha = Number(canvas.style.opacity || 1);
      ctx.drawImage(canvas, x, top);
      ctx.globalAlpha = 1;
    }
    return { width: w, height: bar + 2 * hgt };
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
