// "Generate or extend" in the synonym-bank editor (METHOD §2.1, the paper's Fig. 3 sources): the engine's
// `synonyms/suggest` (WordNet 3.0 or a word-vector file) proposes ranked words per class; those the bank does not
// have yet are kept here as pending suggestions, and each is accepted (an undoable edit of the document) or
// rejected. No `vscode` import (the webview tests run it against a browser).
import { basename } from 'node:path';
import type { EngineParams } from '../../../protocol/engine';
import type {
  SuggestParams,
  SuggestResult,
  SuggestionParams,
  SuggestionsView,
  SynonymEdit,
} from '../../../protocol/webview/synonyms';
import { RpcError } from '../panelRpc';
import { parseBank } from './synonymBankDocument';

/** The engine request behind it; `undefined` in the environment when there is no engine. */
export interface SynonymSuggester {
  suggest(params: EngineParams<'synonyms/suggest'>): Promise<unknown>;
}

export const NO_SUGGEST_MESSAGE = 'Generating words needs the engine, which this editor cannot start.';

export class BankSuggestions {
  private pending: SuggestionsView | null = null;

  constructor(
    private readonly suggester: SynonymSuggester | undefined,
    private readonly pickFile: (title: string) => Promise<string | undefined>,
  ) {}

  get view(): SuggestionsView | null {
    return this.pending;
  }

  get available(): boolean {
    return this.suggester !== undefined;
  }

  /** Asks the engine for `size` words per class of `classes`; keeps the ones `text`'s bank does not have. */
  async generate(params: SuggestParams, text: string, classes: string[]): Promise<SuggestResult> {
    if (!this.suggester) return { state: 'failed', message: NO_SUGGEST_MESSAGE };
    let vectors = params.vectorsPath;
    if (params.source === 'vectors' && !vectors) {
      vectors = await this.pickFile('Word-vector file (word2vec, GloVe, fastText .vec)');
      if (!vectors) return { state: 'cancelled' };
    }
    if (classes.length === 0) return { state: 'failed', message: 'The bank has no classes and no class list.' };
    let raw: unknown;
    try {
      raw = await this.suggester.suggest({
        classes,
        source: params.source,
        size: params.size,
        vectors: vectors ?? null,
      });
    } catch (e) {
      return { state: 'failed', message: (e as Error).message };
    }
    const suggestions = (raw as { suggestions?: unknown } | null)?.suggestions;
    if (!suggestions || typeof suggestions !== 'object')
      return { state: 'failed', message: 'The engine answered synonyms/suggest without "suggestions".' };
    const have = new Map(parseBank(text).classes.map((c) => [c.name, new Set(c.words)]));
    const words: Record<string, string[]> = {};
    let count = 0;
    for (const [cls, list] of Object.entries(suggestions as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      const fresh = list.filter((w): w is string => typeof w === 'string' && !have.get(cls)?.has(w));
      if (fresh.length) words[cls] = fresh;
      count += fresh.length;
    }
    const source = params.source === 'wordnet' ? 'WordNet 3.0' : basename(vectors ?? '');
    this.pending = count ? { source, words } : null;
    return { state: 'suggested', count };
  }

  /** The edit that accepts `params` into the bank `text` (addWord per word; addClass for a class it lacks). */
  accept(params: SuggestionParams, text: string): SynonymEdit[] {
    const words = this.take(params);
    const bankClass = parseBank(text).classes.find((c) => c.name === params.className);
    if (!bankClass) return [{ kind: 'addClass', className: params.className, words }];
    return words.map((word) => ({ kind: 'addWord', className: params.className, word }));
  }

  reject(params: SuggestionParams): void {
    this.take(params);
  }

  /** Removes and returns the suggested words `params` names. */
  private take({ className, word }: SuggestionParams): string[] {
    const list = this.pending?.words[className];
    if (!this.pending || !list || (word !== undefined && !list.includes(word)))
      throw new RpcError('badInput', `"${word ?? className}" is not a pending suggestion of class "${className}".`);
    const taken = word === undefined ? list : [word];
    const rest = list.filter((w) => !taken.includes(w));
    if (rest.length) this.pending.words[className] = rest;
    else delete this.pending.words[className];
    if (Object.keys(this.pending.words).length === 0) this.pending = null;
    return taken;
  }
}
