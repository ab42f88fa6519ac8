/**
 * "Generate or extend" (METHOD §2.1, Fig. 3 sources): source and size, then the words the engine proposed that
 * the bank lacks, per class, each accepted (added to the bank, undoable) or rejected. Host:
 * extension/panels/synonyms/bankSuggestions.ts.
 */
import type {
  SuggestParams,
  SuggestResult,
  SuggestionParams,
  SuggestionsView,
  SuggestAvailability,
} from '../../protocol/webview/synonyms';
import { button, h, select } from '../shared/ui';

export interface SuggestionActions {
  suggest(params: SuggestParams): Promise<SuggestResult>;
  accept(params: SuggestionParams): void;
  reject(params: SuggestionParams): void;
  message(text: string, kind: 'info' | 'error'): void;
}

let source: SuggestParams['source'] = 'wordnet';
let size = 4;

/** The toolbar's controls: source, words per class, Suggest. */
export function suggestControls(availability: SuggestAvailability, act: SuggestionActions): HTMLElement {
  if (availability.state !== 'available')
    return h('span', { class: 'muted', title: availability.message }, 'Suggestions unavailable');
  const go = button('Suggest words', 'suggest-words', () => {
    go.setAttribute('disabled', '');
    act
      .suggest({ source, size })
      .then((r) => {
        if (r.state === 'failed') act.message(r.message, 'error');
        else if (r.state === 'suggested' && r.count === 0) act.message('No new words: the bank has them all.', 'info');
      })
      .catch((e: Error) => act.message(e.message, 'error'))
      .finally(() => go.removeAttribute('disabled'));
  });
  return h(
    'span',
    { class: 'suggest-controls' },
    select({
      label: 'Source of suggested words',
      testId: 'suggest-source',
      value: source,
      options: [
        { value: 'wordnet', label: 'WordNet 3.0' },
        { value: 'vectors', label: 'word vectors…' },
      ],
      onChange: (v) => (source = v as SuggestParams['source']),
    }),
    select({
      label: 'Words per class, the class name included',
      testId: 'suggest-size',
      value: String(size),
      options: [2, 3, 4, 5, 6, 8, 10].map((n) => ({ value: String(n), label: `${n} words` })),
      onChange: (v) => (size = Number(v)),
    }),
    go,
  );
}

/** Pending suggestions, per class; null when there are none. */
export function suggestionList(view: SuggestionsView | null, act: SuggestionActions): HTMLElement | null {
  if (!view) return null;
  const rows = Object.entries(view.words).map(([className, words]) =>
    h(
      'div',
      { class: 'suggestion-row', 'data-testid': 'suggestion-row', 'data-class': className },
      h('strong', {}, className),
      ...words.map((word) =>
        h(
          'span',
          { class: 'suggestion', 'data-testid': 'suggestion', 'data-word': word },
          word,
          chip('✓', `Add "${word}" to ${className}`, 'accept-suggestion', () => act.accept({ className, word })),
          chip('✕', `Reject "${word}"`, 'reject-suggestion', () => act.reject({ className, word })),
        ),
      ),
      chip('accept all', `Add every suggested word to ${className}`, 'accept-all', () => act.accept({ className })),
      chip('reject all', `Reject every suggested word of ${className}`, 'reject-all', () => act.reject({ className })),
    ),
  );
  return h(
    'section',
    { class: 'suggestions', 'data-testid': 'suggestions' },
    h('h3', {}, `Suggested words from ${view.source}: accept or reject each (not in the bank until accepted)`),
    ...rows,
  );
}

function chip(label: string, title: string, testId: string, onClick: () => void): HTMLElement {
  const b = h('button', { class: 'suggestion-action', title, 'aria-label': title, 'data-testid': testId }, label);
  b.addEventListener('click', onClick);
  return b;
}
