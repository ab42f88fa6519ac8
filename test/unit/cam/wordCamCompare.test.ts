// The CAM panel's "training-free, this word" host (cam/wordCam -> engine clipCams/word, METHOD §10): asks for the
// one shown image (count 1), the newest word wins, and an untrusted workspace or no engine is a reason, not a call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineParams } from '../../../protocol/engine';
import { UNTRUSTED_MESSAGE, WordCamCompare } from '../../../extension/panels/cam/wordCamCompare';
import { NO_ENGINE_MESSAGE, type WordCamSource } from '../../../extension/panels/synonyms/wordCams';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const params = { runDir: '/runs/r', className: 'dog', word: 'puppy', imageId: '000000000042' };

function source(calls: EngineParams<'clipCams/word'>[], cancelled: string[]): WordCamSource {
  return {
    start(p) {
      calls.push(p);
      let settle: (v: unknown) => void = () => undefined;
      const result = new Promise<unknown>((resolve) => (settle = resolve));
      const answer = { class: p.class, word: p.word, clip: 'tiny', images: [] as unknown[] };
      answer.images.push({ imageId: p.imageIds![0], overlay: PNG, probability: 0.4, score: 0.1 });
      if (p.word === 'pup') setTimeout(() => settle(answer), 5);
      return { result, cancel: () => (cancelled.push(p.word), settle(answer)) };
    },
  };
}

test('asks clipCams/word for the shown image only; a newer word supersedes the older call', async () => {
  const calls: EngineParams<'clipCams/word'>[] = [];
  const cancelled: string[] = [];
  const compare = new WordCamCompare({ wordCams: source(calls, cancelled), engineBlocked: () => null });
  assert.equal(compare.unavailable(), null);
  const older = compare.compare(params);
  const newer = compare.compare({ ...params, word: 'pup' });
  assert.deepEqual(await older, { state: 'superseded' });
  const shown = await newer;
  assert.equal(shown.state, 'shown');
  assert.equal(shown.state === 'shown' && shown.images[0].imageId, '000000000042');
  assert.deepEqual(calls[0], { runDir: '/runs/r', class: 'dog', word: 'puppy', imageIds: ['000000000042'], count: 1 });
  assert.deepEqual(cancelled, ['puppy']);
});

test('untrusted workspace or no engine: the reason, and nothing asked', async () => {
  const calls: EngineParams<'clipCams/word'>[] = [];
  const untrusted = new WordCamCompare({ wordCams: source(calls, []), engineBlocked: () => UNTRUSTED_MESSAGE });
  assert.equal(untrusted.unavailable(), UNTRUSTED_MESSAGE);
  assert.deepEqual(await untrusted.compare(params), { state: 'unsupported', message: UNTRUSTED_MESSAGE });
  assert.deepEqual(await new WordCamCompare().compare(params), { state: 'unsupported', message: NO_ENGINE_MESSAGE });
  assert.equal(calls.length, 0);
});
