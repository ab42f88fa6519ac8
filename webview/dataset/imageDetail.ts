/**
 * The detail view of one image: the photo at full size with its GT mask overlaid in palette colours
 * (toggle + opacity), its image-level labels, and the classes the mask holds with their pixel shares.
 */
import { classCss } from '../../common/classes';
import type { ImageDetail } from '../../protocol/webview/dataset';
import { banner, button, h, slider } from '../shared/ui';

export interface DetailOptions {
  classes: string[];
  showMask: boolean;
  opacity: number;
  onShowMask(show: boolean): void;
  onOpacity(opacity: number): void;
  onClose(): void;
}

/** A chip per class, in the class's palette colour. */
export function classChips(indices: number[], classes: string[]): HTMLElement {
  return h('span', { class: 'chips' }, ...indices.map((i) => {
    const chip = h('span', { class: 'chip' }, classes[i] ?? `class ${i}`);
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = classCss(i);
    chip.prepend(swatch, ' ');
    return chip;
  }));
}

export function renderDetail(detail: ImageDetail, opts: DetailOptions): HTMLElement {
  const stack = h('div', { class: 'image-stack', 'data-testid': 'detail-stack' });
  if (detail.width && detail.width < 320) stack.classList.add('upscaled');
  if (detail.imageUrl) stack.append(h('img', { src: detail.imageUrl, alt: detail.id, 'data-testid': 'detail-image' }));
  let overlay: HTMLImageElement | null = null;
  if (detail.maskUrl) {
    overlay = h('img', { class: 'overlay', src: detail.maskUrl, alt: `GT mask of ${detail.id}`, 'data-testid': 'mask-overlay' });
    overlay.style.opacity = String(opts.opacity);
    overlay.hidden = !opts.showMask;
    stack.append(overlay);
  }
  const toggle = h('vscode-checkbox', { 'data-testid': 'toggle-mask', checked: opts.showMask, disabled: !detail.maskUrl, label: 'GT mask' }) as HTMLElement & { checked: boolean };
  toggle.addEventListener('change', () => {
    if (overlay) overlay.hidden = !toggle.checked;
    opts.onShowMask(toggle.checked);
  });
  const opacity = slider({
    label: 'Opacity', min: 0, max: 1, step: 0.05, value: opts.opacity, testId: 'mask-opacity',
    format: (v) => `${Math.round(v * 100)}%`,
    onInput: (v) => {
      if (overlay) overlay.style.opacity = String(v);
      opts.onOpacity(v);
    },
  });
  const maskInfo = detail.maskClasses.length
    ? h('ul', { class: 'mask-classes', 'data-testid': 'mask-classes' }, ...detail.maskClasses.map((c) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = classCss(c.index);
      return h('li', {}, sw, ` ${opts.classes[c.index] ?? c.index}: ${(c.fraction * 100).toFixed(1)}% of pixels`);
    }))
    : null;
  return h('section', { class: 'detail', 'data-testid': 'detail', 'aria-label': `Image ${detail.id}` },
    h('div', { class: 'toolbar' },
      h('strong', { 'data-testid': 'detail-id' }, detail.id),
      detail.width ? h('span', { class: 'muted' }, `${detail.width}×${detail.height}`) : null,
      h('span', { class: 'spacer' }),
      toggle, opacity.element,
      button('Close', 'detail-close', opts.onClose, true)),
    detail.error ? banner('error', detail.error, 'The rest of the dataset is still usable.') : null,
    detail.maskProblem ? banner('warning', detail.maskProblem) : null,
    h('div', { class: 'detail-body' },
      stack,
      h('div', { class: 'detail-side' },
        h('div', {}, h('span', { class: 'muted' }, 'Labels: '), detail.labels.length ? classChips(detail.labels, opts.classes) : h('span', { class: 'muted' }, 'none')),
        maskInfo)));
}
