/**
 * Synonym-bank editor webview (a custom text editor over the bank JSON; host: extension/panels/synonyms).
 * Toolbar (file, class list, run), problems of the file, class list, the class in focus (its words, how
 * often each won, CLIP scores per word), and a Fig. 4 grid of every class. Invalid JSON shows the raw text
 * with the errors and a way to the text editor: nothing in the file is ever dropped.
 */
import type {
  BankProblemView,
  SynonymEdit,
  SynonymPanelSnapshot,
  SynonymPanelState,
  SynonymsContract,
} from '../../protocol/webview/synonyms';
import { connectPanel } from '../shared/rpc';
import { adoptStyles, appRoot, banner, button, h, replaceChildren, select } from '../shared/ui';
import { scoresSection } from './scoresView';
import { allClassesSelection, classSelection } from './selectionView';
import { suggestControls, suggestionList, type SuggestionActions } from './suggestionsView';
import synonymsCss from './synonyms.css';
import { wordEditor } from './wordEditor';

adoptStyles(synonymsCss);
const panel = connectPanel<SynonymsContract>();
let state: SynonymPanelState = panel.getState() ?? {};
let snap: SynonymPanelSnapshot | undefined;
const root = appRoot();
const transient = h('div', { class: 'transient', 'data-testid': 'transient' });

/** Element to focus after the re-render an edit causes (typing several synonyms in a row). */
let refocus: string | undefined;

function edit(e: SynonymEdit): void {
  refocus = e.kind === 'addWord' ? '[data-testid=add-word-input]' : undefined;
  panel.request('synonyms/edit', { edit: e }).catch((err: Error) => showTransient(err.message));
}

function showTransient(message: string): void {
  replaceChildren(transient, banner('error', message));
}

const suggestions: SuggestionActions = {
  suggest: (params) => panel.request('synonyms/suggest', params, 600_000),
  accept: (params) =>
    void panel.request('synonyms/acceptSuggestion', params).catch((e: Error) => showTransient(e.message)),
  reject: (params) =>
    void panel.request('synonyms/rejectSuggestion', params).catch((e: Error) => showTransient(e.message)),
  message: (text, kind) => replaceChildren(transient, banner(kind, text)),
};

function focusClass(name: string): void {
  state = { ...state, className: name };
  panel.setState(state);
  render();
}

function toolbar(s: SynonymPanelSnapshot): HTMLElement {
  const runOptions = [
    { value: '', label: 'no run' },
    ...s.runs.map((r) => ({ value: r.runDir, label: `${r.label}${r.synthetic ? ' (SYNTHETIC)' : ''}` })),
  ];
  if (s.selectedRun && !s.runs.some((r) => r.runDir === s.selectedRun))
    runOptions.push({ value: s.selectedRun, label: s.selectedRun });
  const selected = s.runs.find((r) => r.runDir === s.selectedRun);
  return h(
    'div',
    { class: 'toolbar' },
    h('strong', { 'data-testid': 'file-name' }, s.fileName),
    h('span', { class: 'muted', 'data-testid': 'class-source' }, `checked against ${s.classListSource}`),
    h('span', { class: 'spacer' }),
    h('span', { class: 'muted' }, 'Run:'),
    select({
      label: 'Run with selection results',
      options: runOptions,
      value: s.selectedRun ?? '',
      testId: 'run-select',
      onChange: (v) =>
        void panel.request('synonyms/selectRun', { runDir: v || null }).catch((e: Error) => showTransient(e.message)),
    }),
    selected?.synthetic ? h('span', { class: 'synthetic-tag', 'data-testid': 'synthetic-tag' }, 'SYNTHETIC') : null,
    button(
      'Browse…',
      'browse-run',
      () => void panel.request('synonyms/browseRun', {}).catch((e: Error) => showTransient(e.message)),
      true,
    ),
    button('Open as text', 'open-text', () => void panel.request('synonyms/openText', {}), true),
    suggestControls(s.suggest, suggestions),
  );
}

function problemList(problems: BankProblemView[]): HTMLElement | null {
  if (problems.length === 0) return null;
  return h(
    'ul',
    { class: 'problems', 'data-testid': 'problems' },
    ...problems.map((p) =>
      h(
        'li',
        { class: `problem problem-${p.severity}`, 'data-code': p.code },
        h('span', { class: 'where' }, `line ${p.line + 1}:${p.character + 1}`),
        ` ${p.message}`,
        ...(p.hint ? [h('span', { class: 'hint' }, p.hint)] : []),
      ),
    ),
  );
}

function invalidView(s: SynonymPanelSnapshot): HTMLElement {
  return h(
    'div',
    { class: 'invalid', 'data-testid': 'invalid' },
    banner(
      'error',
      `${s.fileName} is not a valid synonym bank, so it cannot be edited here. Nothing was changed.`,
      'Fix the errors below in the text editor; the panel updates as you type.',
    ),
    h(
      'div',
      { class: 'toolbar' },
      button('Open in text editor', 'open-text-invalid', () => void panel.request('synonyms/openText', {})),
    ),
    problemList(s.problems),
    rawText(s.rawText ?? '', s.problems),
  );
}

/** The file's text with line numbers, lines with an error marked (the first one scrolled into view). */
function rawText(text: string, problems: BankProblemView[]): HTMLElement {
  const bad = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.line));
  const pre = h('pre', { class: 'raw-text', 'data-testid': 'raw-text' });
  text.split('\n').forEach((line, i) => {
    pre.append(
      h(
        'span',
        { class: `raw-line${bad.has(i) ? ' raw-error' : ''}`, 'data-line': i + 1 },
        h('span', { class: 'line-no' }, String(i + 1).padStart(4)),
        ` ${line}\n`,
      ),
    );
  });
  requestAnimationFrame(() => pre.querySelector('.raw-error')?.scrollIntoView({ block: 'center' }));
  return pre;
}

function classNav(s: SynonymPanelSnapshot, current: string | undefined): HTMLElement {
  const nav = h('nav', { class: 'class-list', 'data-testid': 'class-nav', 'aria-label': 'Classes' });
  for (const c of s.classes ?? []) {
    const item = h(
      'div',
      {
        class: `class-item${c.name === current ? ' selected' : ''}${c.unknown ? ' unknown' : ''}`,
        'data-class': c.name,
        'data-testid': 'class-item',
        role: 'button',
        tabindex: 0,
      },
      h('span', {}, c.name),
      c.unknown ? h('span', { class: 'unknown-tag', title: `not in ${s.classListSource}` }, 'unknown') : null,
      h('span', { class: 'count' }, String(c.words.length)),
    );
    item.addEventListener('click', () => focusClass(c.name));
    item.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') focusClass(c.name);
    });
    nav.append(item);
  }
  const missing = s.knownClasses.filter((k) => !(s.classes ?? []).some((c) => c.name === k));
  for (const name of missing) {
    const add = h(
      'button',
      {
        class: 'add-class',
        'data-testid': 'add-class',
        'data-class': name,
        title: `Add "${name}" with its name as the only word`,
      },
      `+ ${name}`,
    );
    add.addEventListener('click', () => edit({ kind: 'addClass', className: name, words: [name] }));
    nav.append(add);
  }
  return nav;
}

function render(): void {
  const s = snap;
  if (!s) return;
  if (!s.classes) {
    replaceChildren(root, toolbar(s), transient, invalidView(s));
    return;
  }
  const current = s.classes.find((c) => c.name === state.className) ?? s.classes[0];
  const detail = h('div', { class: 'class-detail', 'data-testid': 'class-detail' });
  if (current) {
    detail.append(
      h(
        'h2',
        { 'data-testid': 'class-title' },
        current.name,
        current.unknown ? h('span', { class: 'unknown-tag' }, `unknown class: not in ${s.classListSource}`) : null,
      ),
      h(
        'p',
        { class: 'muted' },
        'Candidates for the [CLS] of "a photo of [CLS]." — the first is the ground-truth name (METHOD §2.1).',
      ),
      wordEditor(current, edit),
      classSelection(current, s.stats),
      scoresSection(
        current,
        s.stored,
        s.scoring,
        (className, imageIds) => panel.request('synonyms/score', { className, imageIds }, 120_000),
        s.selectedRun ?? '',
      ),
    );
  } else {
    detail.append(h('p', { class: 'muted' }, 'The bank has no classes yet: add one from the list.'));
  }
  detail.append(allClassesSelection(s.classes, s.stats, focusClass));
  // A re-render after an edit keeps the reader where they were.
  const scrollTop = root.querySelector('.content.scroll')?.scrollTop ?? 0;
  const navTop = root.querySelector('[data-testid=class-nav]')?.scrollTop ?? 0;
  const content = h('div', { class: 'content scroll' }, detail);
  const nav = classNav(s, current?.name);
  replaceChildren(
    root,
    toolbar(s),
    transient,
    problemList(s.problems),
    suggestionList(s.suggestions, suggestions),
    h('div', { class: 'layout' }, nav, content),
  );
  content.scrollTop = scrollTop;
  nav.scrollTop = navTop;
  if (refocus) (root.querySelector(refocus) as HTMLElement | null)?.focus();
  refocus = undefined;
}

panel.onSnapshot((s) => {
  snap = s;
  replaceChildren(transient);
  root.dataset.revision = String(Number(root.dataset.revision ?? 0) + 1);
  render();
});
panel.ready();
