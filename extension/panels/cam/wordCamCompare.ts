// The CAM panel's "training-free, this word" (METHOD §10): the training-free CLIP CAM of a typed word on the
// shown image, beside the run's own CAM. Through the same engine access as the synonym editor (engineAccess.ts
// engineWordCams, LatestWordCam: a newer word cancels the older call). No `vscode`.
import type { CamWordParams } from '../../../protocol/webview/cam';
import type { WordCamResult } from '../../../protocol/webview/synonyms';
import { LatestWordCam, NO_ENGINE_MESSAGE, type WordCamSource } from '../synonyms/wordCams';

/** What the CAM panel gets from the extension for word CAMs; all absent: the control says there is no engine. */
export interface CamWordServices {
  wordCams?: WordCamSource;
  /** Why the engine may not start now (an untrusted workspace), else null; read each time (trust changes). */
  engineBlocked?(): string | null;
}

export const UNTRUSTED_MESSAGE =
  'Untrusted workspace: training-free CAMs need the Python engine, which does not start in an untrusted workspace.';

export class WordCamCompare {
  private readonly latest: LatestWordCam;

  constructor(private readonly services: CamWordServices = {}) {
    this.latest = new LatestWordCam(services.wordCams);
  }

  /** Why the control is disabled, or null when it can ask the engine. */
  unavailable(): string | null {
    if (!this.services.wordCams) return NO_ENGINE_MESSAGE;
    return this.services.engineBlocked?.() ?? null;
  }

  /** `word`'s CAM for the class on the one shown image (count 1). */
  async compare(p: CamWordParams): Promise<WordCamResult> {
    const why = this.unavailable();
    if (why) {
      this.latest.cancel();
      return { state: 'unsupported', message: why };
    }
    return this.latest.run({ runDir: p.runDir, class: p.className, word: p.word, imageIds: [p.imageId], count: 1 });
  }
}
