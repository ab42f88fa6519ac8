/**
 * CLIP scores per word for sample images (METHOD §2.2: cosine of the CAM-masked image with "a photo of
 * [w]."): the scores the run stored in selection/prompt_selection.json, and live scores from the engine
 * when it supports `synonyms/score` — otherwise a clear "not supported yet" state, never made-up numbers.
 * Live scores follow the edits: SCORE_DELAY_MS after the class's words last changed they are scored again
 * (results kept per run, class and word list, so a re-render or an undo does not ask the engine twice).
 */
import type {
  ImageWordScores,
  ScoreResult,
  ScoringAvailability,
  StoredScoresView,
  SynonymClassView,
} from '../../protocol/webview/synonyms';
import { banner, h } from '../shared/ui';

/** How long the words must stay unchanged before they are scored (each keystroke-level edit re-renders). */
export const SCORE_DELAY_MS = 800;
const results = new Map<string, Promise<ScoreResult>>();
let timer: ReturnType<typeof setTimeout> | undefined;

/** Fills the live-scores element that is in the page now for `key` (the panel may have re-rendered meanwhile). */
function show(key: string, cls: SynonymClassView, result: ScoreResult | Error): void {
  const live = [...document.querySelectorAll<HTMLElement>('[data-testid=live-scores]')].find(
    (e) => e.dataset.key === key,
  );
  const out = live?.querySelector<HTMLElement>('.live-output');
  if (!live || !out) return;
  if (result instanceof Error) {
    live.dataset.state = 'failed';
    out.replaceChildren(banner('error', `Scoring failed: ${result.message}`));
    return;
  }
  live.dataset.state = result.state;
  if (result.state === 'scored') out.replaceChildren(scoresTable(cls, result.scores, 'live-score-table'));
  else out.replaceChildren(banner(result.state === 'unsupported' ? 'info' : 'error', result.message));
}

export function scoresTable(cls: SynonymClassView, samples: ImageWordScores[], testId: string): HTMLElement {
  const words = [...cls.words];
  for (const s of samples) for (const w of Object.keys(s.scores)) if (!words.includes(w)) words.push(w);
  return h(
    'table',
    { class: 'scores', 'data-testid': testId },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'image'),
        ...words.map((w, k) => h('th', {}, w, k === 0 ? h('span', { class: 'gt-tag small' }, 'GT') : null)),
      ),
    ),
    h(
      'tbody',
      {},
      ...samples.map((s) => {
        const best = Math.max(...Object.values(s.scores));
        return h(
          'tr',
          { 'data-image': s.imageId },
          h('td', { class: 'image-id' }, s.imageId),
          ...words.map((w) => {
            const v = s.scores[w];
            const won = s.chosen ? s.chosen === w : v === best;
            return h(
              'td',
              { class: `num${won ? ' won' : ''}`, title: won ? `"${w}" was selected` : '' },
              v === undefined ? '—' : v.toFixed(3),
            );
          }),
        );
      }),
    ),
  );
}

export function scoresSection(
  cls: SynonymClassView,
  stored: StoredScoresView | null,
  scoring: ScoringAvailability,
  score: (className: string, imageIds: string[]) => Promise<ScoreResult>,
  /** Which run the stored samples come from (part of the live results' key). */
  runKey = '',
): HTMLElement {
  const section = h(
    'section',
    { class: 'scores-section', 'data-testid': 'scores-section' },
    h('h3', {}, 'CLIP scores per word, sample images'),
  );
  const samples = stored?.samples.filter((s) => s.className === cls.name) ?? [];
  if (!stored)
    section.append(h('p', { class: 'muted' }, 'Choose a run to see the scores its prompt selection stored.'));
  else if (stored.message) section.append(h('p', { class: 'muted', 'data-testid': 'stored-message' }, stored.message));
  else if (samples.length === 0)
    section.append(h('p', { class: 'muted' }, `The run stored no scores for "${cls.name}".`));
  else {
    section.append(
      h(
        'p',
        { class: 'muted' },
        `Stored by the run (selection/prompt_selection.json, ${stored.totalImages} images; the selected word is marked):`,
      ),
      scoresTable(cls, samples, 'stored-scores'),
    );
  }

  const live = h('div', { class: 'live-scores', 'data-testid': 'live-scores' });
  if (scoring.state === 'unsupported') {
    live.append(banner('info', scoring.message));
    live.dataset.state = 'unsupported';
  } else if (scoring.state === 'noRun') {
    live.append(h('p', { class: 'muted' }, scoring.message));
  } else if (samples.length > 0) {
    const ids = samples.map((s) => s.imageId);
    const key = JSON.stringify([runKey, cls.name, cls.words, ids]);
    live.dataset.key = key;
    live.dataset.state = 'pending';
    const out = h('div', { class: 'live-output' }, h('vscode-progress-ring', {}));
    live.append(
      h('p', { class: 'muted' }, `The current words scored with CLIP on ${ids.length} images (follows your edits):`),
      out,
    );
    const known = results.get(key);
    const fill = (p: Promise<ScoreResult>) =>
      void p.then(
        (r) => show(key, cls, r),
        (e: Error) => show(key, cls, e),
      );
    if (known) queueMicrotask(() => fill(known));
    else {
      clearTimeout(timer); // a newer edit supersedes a pending one
      timer = setTimeout(() => {
        const pending = score(cls.name, ids);
        results.set(key, pending);
        pending.catch(() => results.delete(key)); // a failed request may be retried by the next edit
        fill(pending);
      }, SCORE_DELAY_MS);
    }
  }
  section.append(live);
  return section;
}
