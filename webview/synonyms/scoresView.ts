/**
 * CLIP scores per word for sample images (METHOD §2.2: cosine of the CAM-masked image with "a photo of
 * [w]."): the scores the run stored in selection/prompt_selection.json, and live scores from the engine
 * when it supports `synonyms/score` — otherwise a clear "not supported yet" state, never made-up numbers.
 */
import type {
  ImageWordScores,
  ScoreResult,
  ScoringAvailability,
  StoredScoresView,
  SynonymClassView,
} from '../../protocol/webview/synonyms';
import { banner, button, h } from '../shared/ui';

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
    const out = h('div', {});
    live.append(
      button(
        `Score the current words with CLIP (${ids.length} images)`,
        'score-words',
        () => {
          out.replaceChildren(h('vscode-progress-ring', {}));
          score(cls.name, ids).then(
            (result) => {
              live.dataset.state = result.state;
              if (result.state === 'scored') out.replaceChildren(scoresTable(cls, result.scores, 'live-score-table'));
              else out.replaceChildren(banner(result.state === 'unsupported' ? 'info' : 'error', result.message));
            },
            (e: Error) => out.replaceChildren(banner('error', `Scoring failed: ${e.message}`)),
          );
        },
        true,
      ),
      out,
    );
  }
  section.append(live);
  return section;
}
