// The synonym editor's training-free CAM of a word (synonyms/wordCams -> engine clipCams/word, METHOD §10): a
// newer word cancels the call in flight and the older request answers "superseded"; the engine's answer is
// checked into the panel's shape; no run chosen is a reason, not a call.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineParams } from '../../../protocol/engine';
import { SynonymBankSession } from '../../../extension/panels/synonyms/synonymBankSession';
import { toWordCamResult, type WordCamCall } from '../../../extension/panels/synonyms/wordCams';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

function answer(word: string) {
  return { class: 'sofa', word, clip: 'tiny', images: [{ imageId: 'a', overlay: PNG, probability: 0.5, score: 0.2 }] };
}

test('a newer word cancels the older call, which answers superseded; the newer one is shown', async () => {
  const calls: { params: EngineParams<'clipCams/word'>; cancelled: boolean }[] = [];
  const session = new SynonymBankSession(
    { path: '/tmp/bank.json', getText: () => '{"sofa": ["sofa", "couch"]}', replace: async () => false },
    {
      listRuns: async () => [],
      pickFolder: async () => undefined,
      openTextEditor: async () => undefined,
      wordCams: {
        start(params): WordCamCall {
          const call = { params, cancelled: false };
          calls.push(call);
          let settle: (v: unknown) => void = () => undefined;
          const result = new Promise<unknown>((resolve) => (settle = resolve));
          if (params.word === 'couch') setTimeout(() => settle(answer('couch')), 10);
          return { result, cancel: () => ((call.cancelled = true), settle(answer(params.word))) };
        },
      },
    },
  );
  const req = (id: number, method: string, params: unknown) =>
    session.handleRequest({ kind: 'request', id, method, params } as never);
  assert.deepEqual(await req(1, 'synonyms/wordCams', { className: 'sofa', word: 'so' }), {
    state: 'failed',
    message: "Choose a run: its CLIP and images show the word's CAM.",
  });
  await req(2, 'synonyms/selectRun', { runDir: '/runs/r' });
  const older = req(3, 'synonyms/wordCams', { className: 'sofa', word: 'sofa' });
  const newer = req(4, 'synonyms/wordCams', { className: 'sofa', word: 'couch' });
  assert.deepEqual(await older, { state: 'superseded' });
  const shown = (await newer) as { state: string; word: string };
  assert.equal(shown.state, 'shown');
  assert.equal(shown.word, 'couch');
  assert.deepEqual(
    calls.map((c) => [c.params.word, c.params.class, c.params.runDir, c.cancelled]),
    [
      ['sofa', 'sofa', '/runs/r', true],
      ['couch', 'sofa', '/runs/r', false],
    ],
  );
});

test('the engine answer is checked: a malformed image entry is a failure, not a broken panel', () => {
  assert.equal(toWordCamResult(answer('couch'), 5).state, 'shown');
  const bad = { ...answer('couch'), images: [{ imageId: 'a', overlay: 'javascript:x', probability: 1, score: 0 }] };
  assert.equal(toWordCamResult(bad, 5).state, 'failed');
  assert.equal(toWordCamResult({ images: [] }, 5).state, 'failed');
});
