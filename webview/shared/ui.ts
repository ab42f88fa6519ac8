/**
 * Small DOM helpers every panel uses, plus the @vscode-elements components the panels render. Colours come
 * from VS Code's theme variables (media/panels.css); no inline style attributes (the CSP has no
 * 'unsafe-inline'), so dynamic styling goes through element.style (CSSOM), which CSP allows.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** Create an element: h('div', {class: 'x'}, 'text', child). Boolean true sets an empty attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** The panel's root element (<main id="app"> in extension/panels/panelHtml.ts). */
export function appRoot(): HTMLElement {
  const el = document.getElementById('app');
  if (!el) throw new Error('panel page has no #app element');
  return el;
}

/** A message banner: what happened and what to do; 'error' and 'warning' get theme colours. */
export function banner(kind: 'error' | 'warning' | 'info', message: string, hint?: string): HTMLElement {
  return h(
    'div',
    { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'banner-message' }, message),
    hint ? h('span', { class: 'banner-hint' }, hint) : null,
  );
}

/** A labelled range slider; calls onInput with the number while dragging. */
export function slider(opts: {
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  testId: string;
  format?: (v: number) => string;
  onInput(value: number): void;
}): { element: HTMLElement; input: HTMLInputElement; set(value: number): void } {
  const format = opts.format ?? ((v: number) => String(v));
  const input = h('input', {
    type: 'range',
    min: opts.min,
    max: opts.max,
    step: opts.step,
    value: opts.value,
    'data-testid': opts.testId,
    'aria-label': opts.label,
  });
  const out = h('output', { class: 'slider-value' }, format(opts.value));
  input.addEventListener('input', () => {
    const v = Number(input.value);
    out.textContent = format(v);
    opts.onInput(v);
  });
  const element = h('label', { class: 'slider' }, h('span', { class: 'slider-label' }, opts.label), input, out);
  return {
    element,
    input,
    set(value: number) {
      input.value = String(value);
      out.textContent = format(value);
    },
  };
}

/** A <vscode-single-select> with options; onChange gets the chosen value. */
export function select(opts: {
  label: string;
  options: { value: string; label: string }[];
  value: string;
  testId: string;
  onChange(value: string): void;
}): HTMLElement & { value: string } {
  const sel = h('vscode-single-select', { 'data-testid': opts.testId, 'aria-label': opts.label }) as HTMLElement & {
    value: string;
  };
  for (const o of opts.options)
    sel.append(h('vscode-option', { value: o.value, selected: o.value === opts.value }, o.label));
  sel.addEventListener('change', () => opts.onChange(sel.value));
  return sel;
}

/** A <vscode-button>; secondary buttons use the theme's secondary colours. */
export function button(label: string, testId: string, onClick: () => void, secondary = false): HTMLElement {
  const b = h('vscode-button', { 'data-testid': testId, secondary });
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** Replace an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** Run fn at most once per animation frame (scroll and slider handlers). */
export function perFrame(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** Add a panel's own CSS (imported as text) as an adopted style sheet: CSP-safe, no <style> element. */
export function adoptStyles(cssText: string): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(cssText);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** A fraction as a percentage: 0.523 -> "52.3%"; not a number -> "n/a". */
export function percent(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
}
