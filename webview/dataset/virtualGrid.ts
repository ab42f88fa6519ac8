/**
 * A virtualised grid of fixed-size cells: only the rows in view (plus a few above and below) exist in the
 * DOM, so a 10,582-image list scrolls like a 20-image one. Cells are positioned with transforms (CSSOM).
 */
import { h, perFrame } from '../shared/ui';

export interface GridOptions {
  cellWidth: number;
  cellHeight: number;
  gap: number;
  /** Rows rendered beyond the visible ones on each side. */
  overscan: number;
  /** Build the element of item i (an index into the items given to setItems). */
  renderCell(item: number): HTMLElement;
  /** Called with the items now in view (first visible first) whenever the visible range changes. */
  onRangeChange(items: number[]): void;
}

export class VirtualGrid {
  readonly element: HTMLElement;
  private readonly sizer: HTMLElement;
  private items: number[] = [];
  private readonly cells = new Map<number, HTMLElement>(); // position in items -> element
  private columns = 1;
  private readonly schedule = perFrame(() => this.update());
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly opts: GridOptions) {
    this.sizer = h('div', { class: 'grid-sizer' });
    this.element = h('div', { class: 'grid-scroll', 'data-testid': 'grid', tabindex: 0 }, this.sizer);
    this.element.addEventListener('scroll', this.schedule, { passive: true });
    this.resizeObserver = new ResizeObserver(this.schedule);
    this.resizeObserver.observe(this.element);
  }

  /** Show these items (e.g. the filtered list); keeps the scroll position unless told to reset. */
  setItems(items: number[], resetScroll = true): void {
    this.items = items;
    for (const el of this.cells.values()) el.remove();
    this.cells.clear();
    if (resetScroll) this.element.scrollTop = 0;
    this.update();
  }

  /** The element of item (if in the DOM), e.g. to put a thumbnail in it. */
  cellOf(position: number): HTMLElement | undefined {
    return this.cells.get(position);
  }

  /** Items currently in the DOM (positions into the items array). */
  renderedPositions(): number[] {
    return [...this.cells.keys()];
  }

  scrollTo(top: number): void {
    this.element.scrollTop = top;
    this.update();
  }

  dispose(): void {
    this.resizeObserver.disconnect();
  }

  private update(): void {
    const { cellWidth, cellHeight, gap, overscan } = this.opts;
    const width = this.element.clientWidth || cellWidth;
    this.columns = Math.max(1, Math.floor((width - gap) / (cellWidth + gap)));
    const rowHeight = cellHeight + gap;
    const rows = Math.ceil(this.items.length / this.columns);
    this.sizer.style.height = `${rows * rowHeight + gap}px`;
    const top = this.element.scrollTop;
    const height = this.element.clientHeight || 600;
    const firstVisibleRow = Math.floor(top / rowHeight);
    const lastVisibleRow = Math.min(rows - 1, Math.floor((top + height) / rowHeight));
    const firstRow = Math.max(0, firstVisibleRow - overscan);
    const lastRow = Math.min(rows - 1, lastVisibleRow + overscan);
    const start = firstRow * this.columns;
    const end = Math.min(this.items.length, (lastRow + 1) * this.columns);
    for (const [pos, el] of this.cells) {
      if (pos < start || pos >= end) {
        el.remove();
        this.cells.delete(pos);
      }
    }
    for (let pos = start; pos < end; pos++) {
      let el = this.cells.get(pos);
      if (!el) {
        el = this.opts.renderCell(this.items[pos]);
        el.classList.add('grid-cell');
        this.cells.set(pos, el);
        this.sizer.append(el);
      }
      const row = Math.floor(pos / this.columns);
      const col = pos % this.columns;
      el.style.transform = `translate(${gap + col * (cellWidth + gap)}px, ${gap + row * rowHeight}px)`;
    }
    // Visible items first, then the overscan rows below and above (the loader fetches in this order).
    const visStart = firstVisibleRow * this.columns;
    const visEnd = Math.min(this.items.length, (lastVisibleRow + 1) * this.columns);
    const order: number[] = [];
    for (let p = visStart; p < visEnd; p++) order.push(p);
    for (let p = visEnd; p < end; p++) order.push(p);
    for (let p = visStart - 1; p >= start; p--) order.push(p);
    this.opts.onRangeChange(order);
  }
}
