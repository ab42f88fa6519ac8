/**
 * The detail view of one image: the photo at full size with its GT mask overlaid in palette colours
 * (toggle + opacity), its image-level labels, and the classes the mask holds with their pixel shares.
 */
import { classCss } from '../../common/classes';
import { CHAIN_LABEL } from '../../common/chain';
import type { ImageDetail, RunMaskChoice, RunMaskSource } from '../../protocol/webview/dataset';
import { banner, button, h, select, slider } from '../shared/ui';

export interface DetailOptions {
  classes: string[];
  showMask: boolean;
  opacity: number;
  onShowMask(show: boolean): void;
  onOpacity(opacity: number): void;
  onClose(): void;
  /** Runs' mask sets to overlay beside the GT, the chosen one, and what to do on a new choice. */
  runMaskSources: RunMaskSource[];
  runMasks: RunMaskChoice | null;
  onRunMasks(choice: RunMaskChoice | null): void;
}

const choiceKey = (c: RunMaskChoice | null): string => (c ? `${c.runDir}\n${c.stage}` : '');

/** The run-mask picker: '(none)' and every run's masks/<stage>, labelled by run, stage and kind. */
function runMaskPicker(opts: DetailOptions): HTMLElement | null {
  if (!opts.runMaskSources.length) return null;
  return select({
    label: "Overlay a run's masks",
    testId: 'run-masks',
    value: choiceKey(opts.runMasks),
    options: [
      { value: '', label: 'run masks: none' },
      ...opts.runMaskSources.map((s) => ({
        value: choiceKey(s),
        label: `${s.runName}${s.synthetic ? ' (synthetic)' : ''} · masks/${s.stage} · ${CHAIN_LABEL[s.kind]}`,
      })),
    ],
    onChange: (v) => opts.onRunMasks(v ? { runDir: v.split('\n')[0], stage: v.split('\n')[1] } : null),
  });
}

/** A chip per class, in the class's palette colour. */
export function classChips(indices: number[], classes: string[]): HTMLElement {
  return h(
    'span',
    { class: 'chips' },
    ...indices.map((i) => {
      const chip = h('span', { class: 'chip' }, classes[i] ?? `class ${i}`);
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = classCss(i);
      chip.prepend(swatch, ' ');
      return chip;
    }),
  );
}

export function renderDetail(detail: ImageDetail, opts: DetailOptions): HTMLElement {
  const stack = h('div', { class: 'image-stack', 'data-testid': 'detail-stack' });
  if (detail.width && detail.width < 320) stack.classList.add('upscaled');
  if (detail.imageUrl) stack.append(h('img', { src: detail.imageUrl, alt: detail.id, 'data-testid': 'detail-image' }));
  let overlay: HTMLImageElement | null = null;
  if (detail.maskUrl) {
    overlay = h('img', {
      class: 'overlay',
      src: detail.maskUrl,
      alt: `GT mask of ${detail.id}`,
      'data-testid': 'mask-overlay',
    });
    overlay.style.opacity = String(opts.opacity);
    overlay.hidden = !opts.showMask;
    stack.append(overlay);
  }
  const run = detail.runMask;
  let runOverlay: HTMLImageElement | null = null;
  let runStack: HTMLElement | null = null;
  if (run?.url) {
    runStack = h('div', { class: 'image-stack', 'data-testid': 'run-mask-stack' });
    if (detail.width && detail.width < 320) runStack.classList.add('upscaled');
    if (detail.imageUrl) runStack.append(h('img', { src: detail.imageUrl, alt: detail.id }));
    runOverlay = h('img', { class: 'overlay', src: run.url, alt: run.label, 'data-testid': 'run-mask-overlay' });
    runOverlay.style.opacity = String(opts.opacity);
    runStack.append(runOverlay);
  }
  const toggle = h('vscode-checkbox', {
    'data-testid': 'toggle-mask',
    checked: opts.showMask,
    disabled: !detail.maskUrl,
    label: 'GT mask',
  }) as HTMLElement & { checked: boolean };
  toggle.addEventListener('change', () => {
    if (overlay) overlay.hidden = !toggle.checked;
    opts.onShowMask(toggle.checked);
  });
  const opacity = slider({
    label: 'Opacity',
    min: 0,
    max: 1,
    step: 0.05,
    value: opts.opacity,
    testId: 'mask-opacity',
    format: (v) => `${Math.round(v * 100)}%`,
    onInput: (v) => {
      if (overlay) overlay.style.opacity = String(v);
      if (runOverlay) runOverlay.style.opacity = String(v);
      opts.onOpacity(v);
    },
  });
  const maskInfo = detail.maskClasses.length
    ? h(
        'ul',
        { class: 'mask-classes', 'data-testid': 'mask-classes' },
        ...detail.maskClasses.map((c) => {
          const sw = h('span', { class: 'swatch' });
          sw.style.background = classCss(c.index);
          return h('li', {}, sw, ` ${opts.classes[c.index] ?? c.index}: ${(c.fraction * 100).toFixed(1)}% of pixels`);
        }),
      )
    : null;
  return h(
    'section',
    { class: 'detail', 'data-testid': 'detail', 'aria-label': `Image ${detail.id}` },
    h(
      'div',
      { class: 'toolbar' },
      h('strong', { 'data-testid': 'detail-id' }, detail.id),
      detail.width ? h('span', { class: 'muted' }, `${detail.width}×${detail.height}`) : null,
      h('span', { class: 'spacer' }),
      toggle,
      opacity.element,
      button('Close', 'detail-close', opts.onClose, true),
    ),
    detail.error ? banner('error', detail.error, 'The rest of the dataset is still usable.') : null,
    detail.maskProblem ? banner('warning', detail.maskProblem) : null,
    runMaskPicker(opts) ? h('div', { class: 'toolbar' }, runMaskPicker(opts)) : null,
    run?.problem ? banner('warning', run.problem) : null,
    h(
      'div',
      { class: 'detail-body' },
      run?.url
        ? h(
            'div',
            { class: 'stacks' },
            h('figure', {}, stack, h('figcaption', { class: 'muted' }, 'ground truth')),
            h(
              'figure',
              {},
              runStack,
              h(
                'figcaption',
                { 'data-testid': 'run-mask-caption' },
                run.label,
                run.iou !== null
                  ? h(
                      'span',
                      { class: 'chain-iou', 'data-testid': 'run-mask-iou', 'data-iou': run.iou.toFixed(4) },
                      ` · IoU vs GT ${(run.iou * 100).toFixed(1)}%${run.labelled !== null && run.labelled < 0.995 ? ` (on the ${(run.labelled * 100).toFixed(1)}% it labels)` : ''}`,
                    )
                  : null,
              ),
            ),
          )
        : stack,
      h(
        'div',
        { class: 'detail-side' },
        h(
          'div',
          {},
          h('span', { class: 'muted' }, 'Labels: '),
          detail.labels.length ? classChips(detail.labels, opts.classes) : h('span', { class: 'muted' }, 'none'),
        ),
        maskInfo,
      ),
    ),
  );
}
