/**
 * Shares of wins per candidate word (METHOD §2.2, the paper's Fig. 4) from {word: count}: the axes are the
 * bank's words in bank order only; a word a selection used that the bank no longer lists (removed in the editor,
 * or a selection made with an older bank) is no axis but is named in `removed`, and its wins still count in the
 * totals, so the shares stay shares of all the selection's instances. Pure: imported by the webview and by unit
 * tests.
 */
import type { WordCounts } from '../../protocol/webview/synonyms';

export interface ClassShares {
  words: string[];
  /** Per source (same order as given): share of each word, NaN when the source has no data. */
  shares: number[][];
  totals: number[];
  /** Words some source chose that the bank no longer lists, with their wins summed over the sources. */
  removed: { word: string; wins: number }[];
}

export function classShares(className: string, bankWords: string[], sources: (WordCounts | null)[]): ClassShares {
  const words = [...bankWords];
  const removed = new Map<string, number>();
  for (const src of sources)
    for (const [w, n] of Object.entries(src?.[className] ?? {}))
      if (!words.includes(w)) removed.set(w, (removed.get(w) ?? 0) + n);
  const totals = sources.map((src) => Object.values(src?.[className] ?? {}).reduce((a, b) => a + b, 0));
  const shares = sources.map((src, i) =>
    words.map((w) => (totals[i] > 0 ? (src![className][w] ?? 0) / totals[i] : Number.NaN)),
  );
  return { words, shares, totals, removed: [...removed].map(([word, wins]) => ({ word, wins })) };
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
