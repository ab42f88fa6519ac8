/**
 * Synonym-bank editor panel (extension/panels/synonyms/* <-> webview/synonyms/*), a custom text editor over
 * a bank JSON file (METHOD §2.1). The host owns the document: every change is a request that the host turns
 * into a WorkspaceEdit, then a new snapshot comes back. No runtime code besides the method names.
 */
import type { PanelContract } from './common';

/** One class as the panel shows it; words[0] is the ground-truth name (the prompt CLIMS uses). */
export interface SynonymClassView {
  name: string;
  words: string[];
  /** false when the value in the file is not a list of strings (shown, but edited only as text). */
  editable: boolean;
  /** true when the class is not in the class list the bank is checked against. */
  unknown: boolean;
}

/** A problem of the bank, with 0-based positions as in the text editor's diagnostics. */
export interface BankProblemView {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** What to do, shown apart from the message (rules shared with the engine give one). */
  hint?: string;
  line: number;
  character: number;
}

/** A run folder the panel can take selection results from. */
export interface RunChoice {
  runDir: string;
  label: string;
  synthetic: boolean;
}

/** How often each word won, per class: {class: {word: count}} (METHOD §2.2; the paper's Fig. 4). */
export type WordCounts = Record<string, Record<string, number>>;

/** Selection statistics beside each other: the chosen run's and, for POLE's bank, the authors'. */
export interface SelectionStatsView {
  /** selection/selection_stats.json of the chosen run; null with `runMessage` saying why. */
  run: WordCounts | null;
  runMessage: string | null;
  /** Counts from the authors' selected_cls_train_aug.json; null with `officialMessage` saying why. */
  official: WordCounts | null;
  officialMessage: string | null;
  officialSource: string | null;
}

/** Per image, per class: the stored CLIP score of every candidate word and the word that won. */
export interface ImageWordScores {
  imageId: string;
  className: string;
  chosen: string | null;
  scores: Record<string, number>;
}

/** Stored per-image scores from the run's selection/prompt_selection.json (a sample, not all images). */
export interface StoredScoresView {
  runDir: string;
  totalImages: number;
  samples: ImageWordScores[];
  message: string | null;
}

/** Whether live CLIP scoring through the engine is possible, and why not. */
export type ScoringAvailability =
  { state: 'available' } | { state: 'unsupported'; message: string } | { state: 'noRun'; message: string };

/** Words a bank source proposed that the bank does not have yet, per class, until accepted or rejected. */
export interface SuggestionsView {
  /** "WordNet 3.0" or the vector file's name. */
  source: string;
  words: Record<string, string[]>;
}

/** Whether the engine can generate suggestions (`synonyms/suggest`), and why not. */
export type SuggestAvailability = { state: 'available' } | { state: 'unsupported'; message: string };

/** Everything the panel shows; re-sent whenever the document, the class list or the chosen run changes. */
export interface SynonymPanelSnapshot {
  fileName: string;
  /** null when the text is not a JSON object: the panel then shows `rawText` and the problems. */
  classes: SynonymClassView[] | null;
  rawText: string | null;
  problems: BankProblemView[];
  classListSource: string;
  knownClasses: string[];
  runs: RunChoice[];
  selectedRun: string | null;
  stats: SelectionStatsView;
  stored: StoredScoresView | null;
  scoring: ScoringAvailability;
  /** Pending suggestions from "Generate or extend"; null when none were asked for (or all were handled). */
  suggestions: SuggestionsView | null;
  suggest: SuggestAvailability;
}

/** An edit of the bank; indices are positions in the class's word list (applied by synonymBankDocument.ts). */
export type SynonymEdit =
  | { kind: 'addWord'; className: string; word: string }
  | { kind: 'removeWord'; className: string; index: number }
  | { kind: 'renameWord'; className: string; index: number; word: string }
  | { kind: 'moveWord'; className: string; from: number; to: number }
  | { kind: 'addClass'; className: string; words: string[] }
  | { kind: 'removeClass'; className: string };

/** Params of synonyms/edit. */
export interface EditParams {
  edit: SynonymEdit;
}

/** Result of synonyms/edit: applied is false when the edit changed nothing. */
export interface EditResult {
  applied: boolean;
}

/** Params of synonyms/selectRun: null clears the run. */
export interface SelectRunParams {
  runDir: string | null;
}

/** Params of synonyms/score: live CLIP scores of a class's words for some images of the chosen run. */
export interface ScoreParams {
  className: string;
  imageIds: string[];
}

/** Result of synonyms/score: scores, or the reason there are none (never invented numbers). */
export type ScoreResult =
  | { state: 'scored'; scores: ImageWordScores[] }
  | { state: 'unsupported'; message: string }
  | { state: 'failed'; message: string };

/** Params of synonyms/suggest: generate or extend the bank from WordNet or a word-vector file (METHOD §2.1).
 * `size`: words per class wanted, the class name included (2-10). `vectorsPath`: for "vectors"; without it the
 * host asks with a file dialog. Classes: the bank's and the class list's. */
export interface SuggestParams {
  source: 'wordnet' | 'vectors';
  size: number;
  vectorsPath?: string;
}

/** Result of synonyms/suggest: how many new words were proposed, or why there are none. */
export type SuggestResult =
  { state: 'suggested'; count: number } | { state: 'cancelled' } | { state: 'failed'; message: string };

/** Params of synonyms/acceptSuggestion and synonyms/rejectSuggestion; `word` absent: all of the class's. */
export interface SuggestionParams {
  className: string;
  word?: string;
}

/** What the webview keeps across hide/show: the class in focus. */
export interface SynonymPanelState {
  className?: string;
}

export interface SynonymsContract extends PanelContract {
  requests: {
    /** Apply one edit to the bank document (a WorkspaceEdit: undoable, marks the file dirty). */
    'synonyms/edit': { params: EditParams; result: EditResult };
    /** Open the same file in the plain text editor beside the panel. */
    'synonyms/openText': { params: Record<string, never>; result: null };
    /** Take selection results from this run folder (or none). */
    'synonyms/selectRun': { params: SelectRunParams; result: null };
    /** Pick a run folder with a folder dialog; the snapshot follows. */
    'synonyms/browseRun': { params: Record<string, never>; result: null };
    /** Ask the engine for CLIP scores (engine method `synonyms/score`). */
    'synonyms/score': { params: ScoreParams; result: ScoreResult };
    /** Ask the engine (`synonyms/suggest`) for new words; they become pending suggestions in the snapshot. */
    'synonyms/suggest': { params: SuggestParams; result: SuggestResult };
    /** Add a suggested word (or all of a class's) to the bank (an undoable edit); the snapshot follows. */
    'synonyms/acceptSuggestion': { params: SuggestionParams; result: EditResult };
    /** Drop a suggested word (or all of a class's) without touching the bank. */
    'synonyms/rejectSuggestion': { params: SuggestionParams; result: null };
  };
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: SynonymPanelSnapshot;
  state: SynonymPanelState;
}
