// The CAM panel's word per (image, class): a training-free CAM set's own words (selection/<set>.json, written by
// a clip_cams stage, METHOD §10.3) before the run's CLIMS selection (selection/prompt_selection.json).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { selectedWord, type CamRun } from '../../../extension/panels/cam/camRuns';

test('a clip_cams set shows its own selected words; other sets the CLIMS selection or none', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'wsss-setwords-'));
  try {
    mkdirSync(join(runDir, 'selection'));
    const table = (word: string) => ({ images: { syn_1: { boat: { word, scores: { boat: 0.2, [word]: 0.3 } } } } });
    writeFileSync(join(runDir, 'selection', 'tf_selected.json'), JSON.stringify(table('sailboat')));
    writeFileSync(join(runDir, 'selection', 'prompt_selection.json'), JSON.stringify(table('vessel')));
    const selection = join(runDir, 'selection', 'prompt_selection.json');
    const run = (selectionFile: string | null): CamRun =>
      ({ runDir, selectionFile, classes: ['boat'], sets: ['tf_selected', 'cams'] }) as unknown as CamRun;
    assert.equal(await selectedWord(run(null), null, 'syn_1', 'boat', 'tf_selected'), 'sailboat');
    assert.equal(await selectedWord(run(null), 'gt', 'syn_1', 'boat', 'cams'), null, 'GT-word CAMs, no selection');
    assert.equal(await selectedWord(run(selection), 'selected', 'syn_1', 'boat', 'cams'), 'vessel');
    assert.equal(
      await selectedWord(run(selection), 'selected', 'syn_2', 'boat', 'tf_selected'),
      null,
      'an image it lacks',
    );
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});
