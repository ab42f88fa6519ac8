// Prompt-selection results the synonym panel shows (METHOD §2.2): a run's selection/selection_stats.json
// ({class: {word: count}}), a sample of selection/prompt_selection.json's stored per-image word scores,
// and the same counts computed from an {image: {class: word}} selection such as the authors'
// selected_cls_train_aug.json. No `vscode` import.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageWordScores, StoredScoresView, WordCounts } from '../../../protocol/webview/synonyms';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Stored images shown per class; the file holds every train image, the panel needs a handful. */
export const SAMPLES_PER_CLASS = 6;

/** {class: {word: count}} checked: every count a non-negative number; an Error names the first bad entry. */
export function toWordCounts(value: unknown, what: string): WordCounts | Error {
  if (!isObject(value)) return new Error(`${what} is not a JSON object of {class: {word: count}}.`);
  const counts: WordCounts = {};
  for (const [cls, words] of Object.entries(value)) {
    if (!isObject(words)) return new Error(`${what}: "${cls}" is not an object of {word: count}.`);
    counts[cls] = {};
    for (const [word, n] of Object.entries(words)) {
      if (typeof n !== 'number' || !(n >= 0))
        return new Error(`${what}: count of "${word}" in "${cls}" is not a number.`);
      counts[cls][word] = n;
    }
  }
  return counts;
}

/** Counts of chosen words per class from a selection {image id: {class: word}}. */
export function countSelections(selection: unknown, what: string): WordCounts | Error {
  if (!isObject(selection)) return new Error(`${what} is not a JSON object of {image id: {class: word}}.`);
  const counts: WordCounts = {};
  for (const [imageId, choice] of Object.entries(selection)) {
    if (!isObject(choice)) return new Error(`${what}: image "${imageId}" does not map classes to words.`);
    for (const [cls, word] of Object.entries(choice)) {
      if (typeof word !== 'string') return new Error(`${what}: image "${imageId}", class "${cls}" is not a word.`);
      const perClass = (counts[cls] ??= {});
      perClass[word] = (perClass[word] ?? 0) + 1;
    }
  }
  return counts;
}

/** The share of instances where the ground-truth word (words[0]) won, per class (METHOD §2.2 table). */
export function groundTruthShare(
  counts: WordCounts,
  bank: { name: string; words: string[] }[],
): Record<string, number> {
  const share: Record<string, number> = {};
  for (const { name, words } of bank) {
    const perClass = counts[name];
    const total = perClass ? Object.values(perClass).reduce((a, b) => a + b, 0) : 0;
    if (total > 0 && words.length > 0) share[name] = (perClass[words[0]] ?? 0) / total;
  }
  return share;
}

/** selection/selection_stats.json of a run, or the reason it is not there. */
export async function readRunSelectionStats(runDir: string): Promise<WordCounts | Error> {
  const path = join(runDir, 'selection', 'selection_stats.json');
  try {
    return toWordCounts(JSON.parse(await readFile(path, 'utf8')), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return new Error('This run has no selection/selection_stats.json: it has no finished select_prompts stage.');
    }
    return new Error(`Cannot read ${path}: ${(e as Error).message}`);
  }
}

/** A few images per class from selection/prompt_selection.json, with every word's stored score. */
export async function readStoredScores(runDir: string, perClass = SAMPLES_PER_CLASS): Promise<StoredScoresView> {
  const path = join(runDir, 'selection', 'prompt_selection.json');
  const empty = (message: string): StoredScoresView => ({ runDir, totalImages: 0, samples: [], message });
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      return empty('No selection/prompt_selection.json in this run: no stored word scores.');
    return empty(`Cannot read ${path}: ${(e as Error).message}`);
  }
  const images = isObject(value) && isObject(value.images) ? value.images : null;
  if (!images) return empty(`${path} has no "images" object ({id: {class: {word, scores}}}).`);
  const samples: ImageWordScores[] = [];
  const taken: Record<string, number> = {};
  for (const imageId of Object.keys(images).sort()) {
    const perImage = images[imageId];
    if (!isObject(perImage)) continue;
    for (const [className, entry] of Object.entries(perImage)) {
      if (!isObject(entry) || (taken[className] ?? 0) >= perClass) continue;
      const scores: Record<string, number> = {};
      if (isObject(entry.scores)) {
        for (const [w, s] of Object.entries(entry.scores)) if (typeof s === 'number') scores[w] = s;
      }
      samples.push({ imageId, className, chosen: typeof entry.word === 'string' ? entry.word : null, scores });
      taken[className] = (taken[className] ?? 0) + 1;
    }
  }
  return { runDir, totalImages: Object.keys(images).length, samples, message: null };
}
