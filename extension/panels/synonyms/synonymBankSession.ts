// Host logic of the synonym-bank editor (a custom text editor, METHOD §2): the snapshot of the bank and
// its problems, edits turned into one minimal text replacement on the real document, the chosen run's
// selection statistics and stored scores, the authors' statistics for POLE's bank, and live CLIP scoring
// through the engine when it supports `synonyms/score`. No `vscode` import (tests run it against a browser).
import { basename } from 'node:path';
import type { EngineParams } from '../../../protocol/engine';
import type { RequestUnion } from '../../../protocol/webview/common';
import type {
  BankProblemView,
  ImageWordScores,
  WordCamResult,
  RunChoice,
  ScoreResult,
  ScoringAvailability,
  SelectionStatsView,
  StoredScoresView,
  SynonymPanelSnapshot,
  SynonymsContract,
} from '../../../protocol/webview/synonyms';
import type { SynonymEdit } from '../../../protocol/webview/synonyms';
import { RpcError, type PanelHandler } from '../panelRpc';
import { bankProblems, type ClassList } from './bankDiagnostics';
import { BankSuggestions, type SynonymSuggester } from './bankSuggestions';
import { classListFor } from './classList';
import { loadOfficialStats, type OfficialStats, type PoleStatsCommand, type StatsCache } from './officialSelection';
import { readRunSelectionStats, readStoredScores } from './selectionResults';
import { applyBankEdit, minimalEdit, parseBank, type OffsetEdit } from './synonymBankDocument';
import { LatestWordCam, type WordCamSource } from './wordCams';

/** The bank's text document (VS Code: a TextDocument edited with WorkspaceEdit; tests: a string). */
export interface BankDocumentPort {
  readonly path: string;
  getText(): string;
  /** Apply one replacement; false when the editor refused it. */
  replace(edit: OffsetEdit): Promise<boolean>;
}

/** Parameters of the engine request `synonyms/score` (protocol/engine.ts). The panel sends the class's words
 * as they are in the editor (`words`), so unsaved edits are scored too. */
export type EngineScoreParams = EngineParams<'synonyms/score'>;

/** Thrown by a scorer when the engine has no `synonyms/score` method (JSON-RPC -32601). */
export class ScoringUnsupported extends Error {}

/** Live CLIP scoring through the engine; `undefined` in the environment when there is no engine. */
export interface SynonymScorer {
  score(params: EngineScoreParams): Promise<unknown>;
}

export interface SynonymEnvironment {
  listRuns(): Promise<RunChoice[]>;
  pickFolder(title: string): Promise<string | undefined>;
  openTextEditor(): Promise<void>;
  scorer?: SynonymScorer;
  wordCams?: WordCamSource;
  statsCache?: StatsCache;
  poleStats?: PoleStatsCommand;
  /** The engine's `synonyms/suggest` (WordNet / word vectors); absent: "Generate or extend" is unavailable. */
  suggester?: SynonymSuggester;
  /** A file dialog (the word-vector file); undefined when cancelled. */
  pickFile?(title: string): Promise<string | undefined>;
}

/** Where snapshots go (PanelRpc.sendSnapshot in VS Code and in the tests). */
export interface SynonymOutlet {
  sendSnapshot(): void;
}

/** Run folders change while runs train: what was read from them is re-read after this long. */
const RUN_DATA_MAX_AGE_MS = 15_000;

export const NO_SCORING_MESSAGE =
  'The engine does not support scoring yet (no `synonyms/score` method): stored scores of a run are shown instead.';

export class SynonymBankSession implements PanelHandler<SynonymsContract> {
  private runDir: string | null = null;
  private outlet: SynonymOutlet | undefined;
  private official: Promise<OfficialStats> | undefined;
  /** What is read from run folders, kept until the run changes (a snapshot follows every keystroke-level
   * edit; prompt_selection.json of a full train set is megabytes). */
  private runData: Promise<[RunChoice[], SelectionStatsView, StoredScoresView | null]> | undefined;
  private runDataTime = 0;
  /** Set once the engine answered that it has no `synonyms/score`: the panel then says so up front. */
  private engineCannotScore = false;
  private readonly suggestions: BankSuggestions;
  /** The word CAM call in flight: a newer word cancels it (the engine stops at its next image). */
  private readonly wordCams: LatestWordCam;

  constructor(
    private readonly document: BankDocumentPort,
    private readonly env: SynonymEnvironment,
  ) {
    this.wordCams = new LatestWordCam(env.wordCams);
    this.suggestions = new BankSuggestions(
      env.suggester,
      (title) => env.pickFile?.(title) ?? Promise.resolve(undefined),
    );
  }

  attach(outlet: SynonymOutlet): void {
    this.outlet = outlet;
  }

  /** The document changed (an edit from the panel, the text editor, undo, a git checkout...). */
  documentChanged(): void {
    this.outlet?.sendSnapshot();
  }

  async snapshot(): Promise<SynonymPanelSnapshot> {
    const text = this.document.getText();
    const bank = parseBank(text);
    const { list, warning } = await classListFor(this.document.path);
    const problems = problemViews(text, bank, list);
    if (warning) problems.unshift({ severity: 'warning', code: 'classList', message: warning, line: 0, character: 0 });
    const known = new Set(list.names);
    const valid = bank.syntaxErrors.length === 0 && bank.rootIsObject;
    if (!this.runData || Date.now() - this.runDataTime > RUN_DATA_MAX_AGE_MS) {
      this.runData = Promise.all([this.env.listRuns(), this.stats(), this.stored()]);
      this.runDataTime = Date.now();
    }
    const [runs, stats, stored] = await this.runData;
    return {
      fileName: basename(this.document.path),
      classes: valid ? bank.classes.map((c) => ({ ...c, unknown: !known.has(c.name) })) : null,
      rawText: valid ? null : text,
      problems,
      classListSource: list.source,
      knownClasses: list.names,
      runs,
      selectedRun: this.runDir,
      stats,
      stored,
      scoring: this.scoringAvailability(),
      suggestions: this.suggestions.view,
      suggest: this.suggestions.available
        ? { state: 'available' }
        : { state: 'unsupported', message: 'Generating words needs the engine (a trusted workspace).' },
    };
  }

  async handleRequest(request: RequestUnion<SynonymsContract['requests']>): Promise<unknown> {
    switch (request.method) {
      case 'synonyms/edit':
        return { applied: await this.applyEdit(request.params.edit) };
      case 'synonyms/suggest': {
        const bank = parseBank(this.document.getText());
        const { list } = await classListFor(this.document.path);
        const classes = [...new Set([...bank.classes.map((c) => c.name), ...list.names])];
        const result = await this.suggestions.generate(request.params, this.document.getText(), classes);
        this.outlet?.sendSnapshot();
        return result;
      }
      case 'synonyms/acceptSuggestion': {
        let applied = false;
        for (const edit of this.suggestions.accept(request.params, this.document.getText()))
          applied = (await this.applyEdit(edit)) || applied;
        if (!applied) this.outlet?.sendSnapshot(); // no document change: still show the suggestion gone
        return { applied };
      }
      case 'synonyms/rejectSuggestion':
        this.suggestions.reject(request.params);
        this.outlet?.sendSnapshot();
        return null;
      case 'synonyms/openText':
        await this.env.openTextEditor();
        return null;
      case 'synonyms/selectRun':
        this.runDir = request.params.runDir;
        this.runData = undefined;
        this.outlet?.sendSnapshot();
        return null;
      case 'synonyms/browseRun': {
        const picked = await this.env.pickFolder('Run folder with prompt-selection results');
        if (picked) {
          this.runDir = picked;
          this.runData = undefined;
          this.outlet?.sendSnapshot();
        }
        return null;
      }
      case 'synonyms/score':
        return this.score(request.params.className, request.params.imageIds);
      case 'synonyms/wordCams':
        return this.wordCamsOf(request.params.className, request.params.word);
      default:
        throw new RpcError(
          'unknownMethod',
          `The synonym editor does not serve '${(request as { method: string }).method}'.`,
        );
    }
  }

  /** One edit as one minimal replacement of the document; false when it changed nothing. */
  private async applyEdit(e: SynonymEdit): Promise<boolean> {
    const before = this.document.getText();
    const after = applyBankEdit(before, e);
    if (after instanceof Error) throw new RpcError('badInput', after.message);
    const edit = minimalEdit(before, after);
    if (!edit) return false;
    if (!(await this.document.replace(edit))) {
      throw new RpcError(
        'failed',
        `VS Code did not apply the edit to ${this.document.path}.`,
        'Is the file read-only?',
      );
    }
    return true;
  }

  private scoringAvailability(): ScoringAvailability {
    if (!this.env.scorer || this.engineCannotScore) return { state: 'unsupported', message: NO_SCORING_MESSAGE };
    if (!this.runDir)
      return { state: 'noRun', message: "Choose a run: scoring masks each image with that run's CAMs (METHOD §2.2)." };
    return { state: 'available' };
  }

  private async score(className: string, imageIds: string[]): Promise<ScoreResult> {
    const scorer = this.env.scorer;
    if (!scorer) return { state: 'unsupported', message: NO_SCORING_MESSAGE };
    if (!this.runDir) return { state: 'failed', message: 'Choose a run first: its CAMs mask the images.' };
    const bankClass = parseBank(this.document.getText()).classes.find((c) => c.name === className);
    if (!bankClass) throw new RpcError('badInput', `Class "${className}" is not in the bank.`);
    try {
      const words = bankClass.editable && bankClass.words.length > 0 ? { words: { [className]: bankClass.words } } : {};
      const raw = await scorer.score({ runDir: this.runDir, imageIds, classes: [className], ...words });
      const scores = toImageWordScores(raw);
      if (scores instanceof Error) return { state: 'failed', message: scores.message };
      return { state: 'scored', scores };
    } catch (e) {
      if (e instanceof ScoringUnsupported) {
        this.engineCannotScore = true;
        this.outlet?.sendSnapshot();
        return { state: 'unsupported', message: NO_SCORING_MESSAGE };
      }
      return { state: 'failed', message: `The engine could not score: ${(e as Error).message}` };
    }
  }

  /** The training-free CAM of `word` for `className` on a few images of the chosen run (METHOD §10). */
  private async wordCamsOf(className: string, word: string): Promise<WordCamResult> {
    if (this.env.wordCams && !this.runDir) {
      this.wordCams.cancel();
      return { state: 'failed', message: "Choose a run: its CLIP and images show the word's CAM." };
    }
    return this.wordCams.run({ runDir: this.runDir ?? '', class: className, word });
  }

  private async stats(): Promise<SelectionStatsView> {
    this.official ??= loadOfficialStats(this.document.path, this.env.statsCache, this.env.poleStats);
    const official = await this.official;
    const run = this.runDir
      ? await readRunSelectionStats(this.runDir)
      : new Error('Choose a run to see how often each word won in it.');
    return {
      run: run instanceof Error ? null : run,
      runMessage: run instanceof Error ? run.message : null,
      official: official.counts,
      officialMessage: official.counts ? null : official.message,
      officialSource: official.source,
    };
  }

  private async stored(): Promise<StoredScoresView | null> {
    return this.runDir ? readStoredScores(this.runDir) : null;
  }
}

/** Engine result {scores: [{imageId, class, chosen?, scores: {word: cos}}]} checked into the panel's shape. */
export function toImageWordScores(raw: unknown): ImageWordScores[] | Error {
  const list = (raw as { scores?: unknown } | null)?.scores;
  if (!Array.isArray(list)) return new Error('The engine answered synonyms/score without a "scores" list.');
  const out: ImageWordScores[] = [];
  for (const item of list) {
    const o = item as Record<string, unknown>;
    const scores = o?.scores as Record<string, unknown> | undefined;
    if (
      typeof o?.imageId !== 'string' ||
      typeof o.class !== 'string' ||
      typeof scores !== 'object' ||
      scores === null
    ) {
      return new Error('The engine answered synonyms/score with an entry that lacks imageId, class or scores.');
    }
    const numeric = Object.fromEntries(Object.entries(scores).filter(([, v]) => typeof v === 'number')) as Record<
      string,
      number
    >;
    const best = Object.entries(numeric).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
    out.push({
      imageId: o.imageId,
      className: o.class,
      chosen: typeof o.chosen === 'string' ? o.chosen : best,
      scores: numeric,
    });
  }
  return out;
}

/** 0-based line and character of an offset, as VS Code's TextDocument.positionAt counts them. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lastBreak = before.lastIndexOf('\n');
  let line = 0;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, character: before.length - (lastBreak + 1) };
}

function problemViews(text: string, bank: ReturnType<typeof parseBank>, list: ClassList): BankProblemView[] {
  return bankProblems(bank, list).map((p) => ({
    severity: p.severity,
    code: p.code,
    message: p.message,
    ...(p.hint ? { hint: p.hint } : {}),
    ...positionAt(text, p.offset),
  }));
}
