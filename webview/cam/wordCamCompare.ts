/**
 * "Training-free, this word: [word]" beside the run's own CAM (METHOD §10): the training-free CLIP CAM of a
 * word on the shown image and class (host: extension/panels/cam/wordCamCompare.ts, engine `clipCams/word`),
 * with the word prompt's probability. The word starts as the class's prompt word (POLE's selected word, else
 * the class name); typing asks again, and a newer word supersedes the older (the host cancels the engine
 * call, this view drops a late answer). Disabled, saying why, in an untrusted workspace or without an engine.
 */
import type { CamWordParams } from '../../protocol/webview/cam';
import type { WordCamResult } from '../../protocol/webview/synonyms';
import { LatestWordCamRequest } from '../shared/latestWordCam';
import { h } from '../shared/ui';

const DEBOUNCE_MS = 150; // typing: wait for a pause, not every keystroke

/** The shown image and class of a run, and the word to start from. */
export interface WordCamTarget {
  runDir: string;
  imageId: string;
  className: string;
  defaultWord: string;
}

export class WordCamCompareView {
  readonly element = h('section', { class: 'cam-side cam-word', 'data-testid': 'cam-word', 'data-state': 'idle' });
  private readonly input = h('input', {
    type: 'text',
    class: 'cam-word-input',
    'data-testid': 'cam-word-input',
    'aria-label': 'Word for the training-free CAM',
    spellcheck: 'false',
  }) as HTMLInputElement;
  private readonly result = h('div', { class: 'cam-word-result', 'data-testid': 'cam-word-result' });
  private target: WordCamTarget | null = null;
  private unavailable: string | null = null;
  private readonly latest = new LatestWordCamRequest();

  constructor(private readonly request: (p: CamWordParams) => Promise<WordCamResult>) {
    this.input.addEventListener('input', () => this.ask(DEBOUNCE_MS));
    this.element.append(
      h('label', { class: 'cam-side-header' }, h('strong', {}, 'Training-free, this word:'), this.input),
      this.result,
    );
  }

  /** Why the control cannot ask the engine (null: it can); disables the field and says so. */
  setUnavailable(reason: string | null): void {
    this.unavailable = reason ?? null;
    this.input.disabled = !!this.unavailable;
    if (this.unavailable) {
      this.latest.drop();
      this.element.dataset.state = 'unavailable';
      this.result.replaceChildren(h('p', { class: 'muted', 'data-testid': 'cam-word-message' }, this.unavailable));
    }
  }

  /** Follow the shown image and class: a new one resets the word to its default and asks. */
  follow(target: WordCamTarget | null): void {
    const key = (t: WordCamTarget | null): string => (t ? `${t.runDir}\n${t.imageId}\n${t.className}` : '');
    if (key(target) === key(this.target)) return;
    this.target = target;
    if (!target) return;
    this.input.value = target.defaultWord;
    this.ask(0);
  }

  private ask(delay: number): void {
    const target = this.target;
    const word = this.input.value.trim();
    if (this.unavailable || !target || !word) return;
    this.latest.ask(
      delay,
      () => {
        this.element.dataset.state = 'loading';
        this.element.dataset.word = word;
        return this.request({ runDir: target.runDir, className: target.className, word, imageId: target.imageId });
      },
      (r) => this.render(r, word),
    );
  }

  private render(r: WordCamResult, word: string): void {
    if (r.state === 'superseded') return;
    this.element.dataset.state = r.state;
    this.element.dataset.word = word;
    if (r.state !== 'shown') {
      this.result.replaceChildren(h('p', { class: 'muted', 'data-testid': 'cam-word-message' }, r.message));
      return;
    }
    const img = r.images[0];
    this.element.dataset.ms = String(r.ms);
    this.result.replaceChildren(
      img
        ? h(
            'figure',
            { class: 'cam-word-figure', 'data-image': img.imageId },
            h('img', { src: img.overlay, alt: `Training-free CAM of ${r.word} on ${img.imageId}` }),
            h(
              'figcaption',
              {
                class: 'caption',
                'data-testid': 'cam-word-caption',
                title:
                  'p: softmax probability of the word prompt among the class and background prompts (what Grad-CAM differentiates); cos: CLIP cosine of the CAM-masked image with the prompt (the selection score)',
              },
              `“${r.word}” for ${r.className} · p ${img.probability.toFixed(2)} · cos ${img.score.toFixed(3)}`,
            ),
            h('span', { class: 'muted' }, `Grad-CAM on ${r.clip} (CLIP-ES; METHOD §10), ${r.ms} ms`),
          )
        : h('p', { class: 'muted', 'data-testid': 'cam-word-message' }, 'The engine returned no image.'),
    );
  }
}
