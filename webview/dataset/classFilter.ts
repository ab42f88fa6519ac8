/**
 * The dataset browser's class filter: images with all of (or any of) the chosen classes, and none of the
 * excluded ones ("boat and not water-like background" is how co-occurrence bias is looked for, METHOD §1.4
 * L_CBS). Pure functions over image-level labels, so the filter runs in the webview without a host round trip.
 */

/** Which classes an image must have (all or any of `include`) and must not have (`exclude`). */
export interface ClassFilter {
  include: number[];
  exclude: number[];
  mode: 'all' | 'any';
}

export const NO_FILTER: ClassFilter = { include: [], exclude: [], mode: 'all' };

export function isEmpty(f: ClassFilter): boolean {
  return f.include.length === 0 && f.exclude.length === 0;
}

/** Whether an image with `labels` passes the filter. */
export function matches(labels: readonly number[], f: ClassFilter): boolean {
  if (f.exclude.some((c) => labels.includes(c))) return false;
  if (f.include.length === 0) return true;
  return f.mode === 'all' ? f.include.every((c) => labels.includes(c)) : f.include.some((c) => labels.includes(c));
}

/** The state a class is in: required, excluded or neither. */
export function classState(f: ClassFilter, c: number): 'include' | 'exclude' | null {
  return f.include.includes(c) ? 'include' : f.exclude.includes(c) ? 'exclude' : null;
}

/** Toggle `c` in one list (taking it out of the other): a class is never required and excluded at once. */
export function toggle(f: ClassFilter, c: number, list: 'include' | 'exclude'): ClassFilter {
  const other = list === 'include' ? 'exclude' : 'include';
  const on = f[list].includes(c);
  return {
    ...f,
    [list]: on ? f[list].filter((x) => x !== c) : [...f[list], c].sort((a, b) => a - b),
    [other]: f[other].filter((x) => x !== c),
  };
}

/** "with dog", "with all of boat, person", "with any of cat, dog · without sofa". */
export function describe(f: ClassFilter, names: readonly string[]): string {
  const list = (cs: number[]): string => cs.map((c) => names[c] ?? `class ${c + 1}`).join(', ');
  const parts: string[] = [];
  if (f.include.length === 1) parts.push(`with ${list(f.include)}`);
  else if (f.include.length > 1) parts.push(`with ${f.mode} of ${list(f.include)}`);
  if (f.exclude.length) parts.push(`without ${list(f.exclude)}`);
  return parts.join(' · ');
}

/** The filter saved by an older panel (one class or none) or this one. */
export function restoreFilter(saved: unknown, legacy: number | null | undefined): ClassFilter {
  const s = saved as Partial<ClassFilter> | null | undefined;
  if (s && Array.isArray(s.include) && Array.isArray(s.exclude)) {
    return {
      include: s.include.filter(Number.isInteger),
      exclude: s.exclude.filter(Number.isInteger),
      mode: s.mode === 'any' ? 'any' : 'all',
    };
  }
  return typeof legacy === 'number' ? { ...NO_FILTER, include: [legacy] } : NO_FILTER;
}
