/**
 * The newest word wins, in the webview (synonyms/wordCamView.ts, cam/wordCamCompare.ts): a word CAM request is
 * started after a pause in typing, and only the answer of the latest one is rendered (the host cancels the
 * older engine call; a late answer is dropped here). A failed request is rendered as the `failed` state.
 */
import type { WordCamResult } from '../../protocol/webview/synonyms';

export class LatestWordCamRequest {
  private ticket = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** After `delayMs`, `start()`; its answer reaches `done` unless a newer `ask` or a `drop` came first. */
  ask(delayMs: number, start: () => Promise<WordCamResult>, done: (r: WordCamResult) => void): void {
    const ticket = this.drop();
    this.timer = setTimeout(() => {
      start().then(
        (r) => ticket === this.ticket && done(r),
        (e: Error) => ticket === this.ticket && done({ state: 'failed', message: e.message }),
      );
    }, delayMs);
  }

  /** Forget the pending or running request: its answer is not rendered. */
  drop(): number {
    clearTimeout(this.timer);
    return ++this.ticket;
  }
}
