// The two things the synonym editor asks of the Python engine: live CLIP scores (`synonyms/score` over the
// engine's JSON-RPC; -32601 "method not found" means this engine cannot score yet) and the counts of a
// pickled selection file (`python -m wsss_engine pole-stats PATH`, argument array, no shell). No `vscode`.
import { execFile } from 'node:child_process';
import type { EngineParams } from '../../../protocol/engine';
import { EngineRequestError } from '../../engine/engineErrors';
import type { SynonymSuggester } from './bankSuggestions';
import type { PoleStatsCommand } from './officialSelection';
import { ScoringUnsupported, type EngineScoreParams, type SynonymScorer } from './synonymBankSession';

/** JSON-RPC "method not found". */
const METHOD_NOT_FOUND = -32601;
const SCORE_TIMEOUT_MS = 120_000;

/** The part of EngineProcess scoring needs. */
export interface ScoringEngine {
  request(
    method: 'synonyms/score',
    params: EngineParams<'synonyms/score'>,
    options?: { timeoutMs?: number },
  ): Promise<unknown>;
}

/** Scores through the running engine (started on demand by `ensureEngine`, which refuses untrusted workspaces). */
export function engineScorer(ensureEngine: (action: string) => Promise<ScoringEngine>): SynonymScorer {
  return {
    async score(params: EngineScoreParams): Promise<unknown> {
      const engine = await ensureEngine('score synonym words with CLIP');
      try {
        return await engine.request('synonyms/score', params, { timeoutMs: SCORE_TIMEOUT_MS });
      } catch (e) {
        if (e instanceof EngineRequestError && e.code === METHOD_NOT_FOUND) throw new ScoringUnsupported(e.message);
        throw e;
      }
    },
  };
}

/** Loading WordNet or a large vector file can take minutes. */
const SUGGEST_TIMEOUT_MS = 600_000;

/** The part of EngineProcess suggestions need. */
export interface SuggestingEngine {
  request(
    method: 'synonyms/suggest',
    params: EngineParams<'synonyms/suggest'>,
    options?: { timeoutMs?: number },
  ): Promise<unknown>;
}

/** `synonyms/suggest` through the running engine (started on demand; refused in untrusted workspaces). */
export function engineSuggester(ensureEngine: (action: string) => Promise<SuggestingEngine>): SynonymSuggester {
  return {
    async suggest(params) {
      const engine = await ensureEngine('generate synonym words');
      return engine.request('synonyms/suggest', params, { timeoutMs: SUGGEST_TIMEOUT_MS });
    },
  };
}

/** `python -m wsss_engine pole-stats PATH --bank BANK` with the engine's interpreter; resolves to its JSON output. */
export function poleStatsCommand(
  python: () => Promise<{ pythonPath: string; env?: NodeJS.ProcessEnv }>,
): PoleStatsCommand {
  return async (path: string, bankPath: string) => {
    const { pythonPath, env } = await python();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        pythonPath,
        ['-m', 'wsss_engine', 'pole-stats', path, '--bank', bankPath],
        { env, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 },
        (error, out, err) =>
          error ? reject(new Error(`${error.message.split('\n')[0]}${err ? `: ${err.trim()}` : ''}`)) : resolve(out),
      );
    });
    return JSON.parse(stdout);
  };
}
