// The training-free CLIP CAM of a word (METHOD §10) for the synonym editor and the CAM panel: the engine call
// (`clipCams/word`, cancellable), the newest-word-wins runner both panels use, and the check of the engine's
// answer into the panels' shape. No `vscode`.
import type { EngineParams } from '../../../protocol/engine';
import type { WordCamResult } from '../../../protocol/webview/synonyms';
import { EngineRequestError } from '../../engine/engineErrors';
import { ScoringUnsupported } from './synonymBankSession';

/** One `clipCams/word` call in flight: its answer, and a way to cancel it ($/cancelRequest). */
export interface WordCamCall {
  result: Promise<unknown>;
  cancel(): void;
}

/** Training-free CLIP CAMs of a word through the engine (engineAccess.ts `engineWordCams`). */
export interface WordCamSource {
  start(params: EngineParams<'clipCams/word'>): WordCamCall;
}

/** Engine result of `clipCams/word` checked into the panel's shape. */
export function toWordCamResult(raw: unknown, ms: number): WordCamResult {
  const o = raw as Record<string, unknown> | null;
  const images = o?.images;
  if (!Array.isArray(images) || typeof o?.word !== 'string' || typeof o.class !== 'string')
    return { state: 'failed', message: 'The engine answered clipCams/word without class, word and images.' };
  const ok = images.every(
    (i: Record<string, unknown>) =>
      typeof i?.imageId === 'string' &&
      typeof i.overlay === 'string' &&
      i.overlay.startsWith('data:image/png;base64,') &&
      typeof i.probability === 'number' &&
      typeof i.score === 'number',
  );
  if (!ok) return { state: 'failed', message: 'The engine answered clipCams/word with a malformed image entry.' };
  return {
    state: 'shown',
    className: o.class,
    word: o.word,
    clip: typeof o.clip === 'string' ? o.clip : '',
    images: images.map((i: Record<string, unknown>) => ({
      imageId: i.imageId as string,
      overlay: i.overlay as string,
      probability: i.probability as number,
      score: i.score as number,
    })),
    ms,
  };
}

export const NO_ENGINE_MESSAGE = 'No engine: training-free CAMs need the Python engine.';

/** One `clipCams/word` call at a time: a newer word cancels the older call ($/cancelRequest), whose answer
 * becomes `superseded`; engine errors become the panel's `unsupported` / `failed` states. */
export class LatestWordCam {
  private call: WordCamCall | undefined;

  constructor(private readonly source: WordCamSource | undefined) {}

  cancel(): void {
    this.call?.cancel();
  }

  async run(params: EngineParams<'clipCams/word'>): Promise<WordCamResult> {
    this.cancel();
    if (!this.source) return { state: 'unsupported', message: NO_ENGINE_MESSAGE };
    const started = Date.now();
    const call = this.source.start(params);
    this.call = call;
    try {
      const raw = await call.result;
      if (this.call !== call) return { state: 'superseded' };
      return toWordCamResult(raw, Date.now() - started);
    } catch (e) {
      if (this.call !== call || (e instanceof EngineRequestError && e.cancelled)) return { state: 'superseded' };
      if (e instanceof ScoringUnsupported)
        return { state: 'unsupported', message: 'This engine has no `clipCams/word` (training-free CAMs).' };
      return { state: 'failed', message: `The engine could not make the CAM: ${(e as Error).message}` };
    } finally {
      if (this.call === call) this.call = undefined;
    }
  }
}
