/**
 * Shares of wins per candidate word (METHOD §2.2, the paper's Fig. 4) from {word: count}: the axes are the
 * bank's words in bank order, then any other word a selection used (e.g. one made with an older bank).
 * Pure: imported by the webview and by unit tests.
 */
import type { WordCounts } from '../../protocol/webview/synonyms';

export interface ClassShares {
  words: string[];
  /** Per source (same order as given): share of each word, NaN when the source has no data. */
  shares: number[][];
  totals: number[];
}

export function classShares(className: string, bankWords: string[], sources: (WordCounts | null)[]): ClassShares {
  const words = [...bankWords];
  for (const src of sources) for (const w of Object.keys(src?.[className] ?? {})) if (!words.includes(w)) words.push(w);
  const totals = sources.map((src) => Object.values(src?.[className] ?? {}).reduce((a, b) => a + b, 0));
  const shares = sources.map((src, i) =>
    words.map((w) => (totals[i] > 0 ? (src![className][w] ?? 0) / totals[i] : Number.NaN)),
  );
  return { words, shares, totals };
}

/** Share of instances for which the ground-truth word (bank word 0) won, over all classes; NaN if none. */
export function overallGroundTruthShare(bank: { name: string; words: string[] }[], counts: WordCounts | null): number {
  let gt = 0;
  let all = 0;
  for (const { name, words } of bank) {
    const perClass = counts?.[name] ?? {};
    all += Object.values(perClass).reduce((a, b) => a + b, 0);
    gt += perClass[words[0]] ?? 0;
  }
  return all > 0 ? gt / all : Number.NaN;
}
