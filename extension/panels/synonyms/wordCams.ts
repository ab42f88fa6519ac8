// The synonym editor's training-free CLIP CAM of a word (METHOD §10): the engine call it makes through
// (`clipCams/word`, cancellable) and the check of the engine's answer into the panel's shape. No `vscode`.
import type { EngineParams } from '../../../protocol/engine';
import type { WordCamResult } from '../../../protocol/webview/synonyms';

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
