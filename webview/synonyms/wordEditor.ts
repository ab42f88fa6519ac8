/**
 * The word list of one class (METHOD §2.1: ground-truth name first, then its synonyms): rename in place,
 * move up/down, make a word the ground truth, remove, add. Every action is a request; the host edits the
 * JSON document and the new snapshot re-renders the list.
 */
import type { SynonymClassView, SynonymEdit } from '../../protocol/webview/synonyms';
import { button, h } from '../shared/ui';

/** `onWord(word)`: a word was selected (focused) or is being typed: the panel shows its training-free CAM. */
export function wordEditor(
  cls: SynonymClassView,
  edit: (e: SynonymEdit) => void,
  onWord: (word: string) => void = () => undefined,
): HTMLElement {
  const className = cls.name;
  if (!cls.editable) {
    return h(
      'p',
      { class: 'muted', 'data-testid': 'not-editable' },
      `"${className}" is not a list of words in the file; open it as text to fix it.`,
    );
  }
  const rows = cls.words.map((word, index) => {
    const input = h('input', {
      class: 'word-input',
      type: 'text',
      value: word,
      'data-testid': 'word-input',
      'data-index': index,
      'aria-label': index === 0 ? `ground-truth name of ${className}` : `synonym ${index} of ${className}`,
      spellcheck: 'false',
    });
    const commit = (): void => {
      const value = input.value.trim();
      if (value && value !== word) edit({ kind: 'renameWord', className, index, word: value });
      else input.value = word;
    };
    input.addEventListener('change', commit);
    input.addEventListener('focus', () => onWord(input.value));
    input.addEventListener('input', () => onWord(input.value));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') input.blur();
      if (e.key === 'Escape') {
        input.value = word;
        input.blur();
      }
    });
    const last = cls.words.length - 1;
    return h(
      'li',
      { class: 'word-row', 'data-word': word },
      h('span', { class: index === 0 ? 'gt-tag' : 'rank' }, index === 0 ? 'GT' : String(index)),
      input,
      iconButton('↑', `Move "${word}" up`, 'move-up', index === 0, () =>
        edit({ kind: 'moveWord', className, from: index, to: index - 1 }),
      ),
      iconButton('↓', `Move "${word}" down`, 'move-down', index === last, () =>
        edit({ kind: 'moveWord', className, from: index, to: index + 1 }),
      ),
      iconButton('GT', `Make "${word}" the ground-truth name (first word)`, 'make-gt', index === 0, () =>
        edit({ kind: 'moveWord', className, from: index, to: 0 }),
      ),
      iconButton('✕', `Remove "${word}"`, 'remove-word', cls.words.length === 1, () =>
        edit({ kind: 'removeWord', className, index }),
      ),
    );
  });

  const addInput = h('input', {
    class: 'word-input',
    type: 'text',
    placeholder: 'new synonym',
    'data-testid': 'add-word-input',
    'aria-label': `new synonym for ${className}`,
  });
  const add = (): void => {
    const word = addInput.value.trim();
    if (word) edit({ kind: 'addWord', className, word });
  };
  addInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') add();
  });
  addInput.addEventListener('input', () => onWord(addInput.value));
  return h(
    'div',
    { class: 'word-editor' },
    h('ol', { class: 'word-list', 'data-testid': 'word-list' }, ...rows),
    h('div', { class: 'add-row' }, addInput, button('Add', 'add-word', add)),
  );
}

function iconButton(label: string, title: string, testId: string, disabled: boolean, onClick: () => void): HTMLElement {
  const b = h('button', { class: 'icon-button', title, 'aria-label': title, 'data-testid': testId, disabled }, label);
  b.addEventListener('click', onClick);
  return b;
}
