/**
 * The training-free CLIP CAM of the word being typed or selected in the word list (METHOD §10, engine method
 * `clipCams/word` through the host): a few images of the class with the CAM blended in, each with the word
 * prompt's softmax probability and the CAM-masked image's CLIP cosine. One element kept across re-renders;
 * a newer word supersedes the older (the host cancels the engine call, this view drops a late answer).
 */
import type { WordCamParams, WordCamResult } from '../../protocol/webview/synonyms';
import { LatestWordCamRequest } from '../shared/latestWordCam';
import { h } from '../shared/ui';

const DEBOUNCE_MS = 120; // typing: wait for a pause, not every keystroke

export class WordCamView {
  readonly element = h('section', { class: 'word-cams', 'data-testid': 'word-cams', 'data-state': 'idle' });
  private readonly latest = new LatestWordCamRequest();
  private shown = '';

  constructor(private readonly request: (p: WordCamParams) => Promise<WordCamResult>) {
    this.element.append(h('p', { class: 'muted' }, 'Select or type a word to see its training-free CLIP CAM.'));
  }

  /** Show `word`'s CAM for `className` (after a short pause; a later call replaces this one). */
  show(className: string, word: string): void {
    const trimmed = word.trim();
    const key = `${className}\u0000${trimmed}`;
    if (!trimmed || key === this.shown) return;
    this.shown = key;
    this.latest.ask(
      DEBOUNCE_MS,
      () => {
        this.element.dataset.state = 'loading';
        this.element.dataset.word = trimmed;
        return this.request({ className, word: trimmed });
      },
      (r) => this.render(r, trimmed),
    );
  }

  private render(r: WordCamResult, word: string): void {
    if (r.state === 'superseded') return;
    this.element.dataset.state = r.state;
    this.element.dataset.word = word;
    if (r.state !== 'shown') {
      this.element.replaceChildren(h('p', { class: 'muted', 'data-testid': 'word-cams-message' }, r.message));
      this.shown = '';
      return;
    }
    this.element.dataset.ms = String(r.ms);
    this.element.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `Training-free CAM of “${r.word}” for ${r.className} (Grad-CAM on ${r.clip}, CLIP-ES; METHOD §10) — ${r.ms} ms`,
      ),
      h(
        'div',
        { class: 'word-cam-strip' },
        ...r.images.map((img) =>
          h(
            'figure',
            { class: 'word-cam', 'data-testid': 'word-cam', 'data-image': img.imageId },
            h('img', { src: img.overlay, alt: `CAM of ${r.word} on ${img.imageId}` }),
            h(
              'figcaption',
              {
                title:
                  'p: softmax probability of the prompt among the class and background prompts; cos: CLIP cosine of the CAM-masked image with the prompt (the selection score)',
              },
              `${img.imageId} · p ${img.probability.toFixed(2)} · cos ${img.score.toFixed(3)}`,
            ),
          ),
        ),
      ),
    );
  }
}
