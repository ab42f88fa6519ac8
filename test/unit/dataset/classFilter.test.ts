// The dataset browser's class filter (webview/dataset/classFilter.ts): all of / any of, exclusions
// (co-occurrence: "boat and not person"), the toggles, the description, and restoring an older state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VOC_CLASSES } from '../../../common/classes';
import { describe, matches, NO_FILTER, restoreFilter, toggle } from '../../../webview/dataset/classFilter';

const BOAT = 3,
  PERSON = 14,
  DOG = 11;
const images = [[BOAT], [BOAT, PERSON], [PERSON, DOG], [DOG], []];
const pick = (f: Parameters<typeof matches>[1]): number[] =>
  images.flatMap((labels, i) => (matches(labels, f) ? [i] : []));

test('all of / any of the included classes, none of the excluded', () => {
  assert.deepEqual(pick(NO_FILTER), [0, 1, 2, 3, 4]);
  assert.deepEqual(pick({ include: [BOAT, PERSON], exclude: [], mode: 'all' }), [1]);
  assert.deepEqual(pick({ include: [BOAT, PERSON], exclude: [], mode: 'any' }), [0, 1, 2]);
  assert.deepEqual(pick({ include: [BOAT], exclude: [PERSON], mode: 'all' }), [0], 'boat and not person');
  assert.deepEqual(pick({ include: [], exclude: [DOG], mode: 'all' }), [0, 1, 4]);
});

test('a class is either required or excluded, never both; toggling twice undoes', () => {
  let f = toggle(NO_FILTER, BOAT, 'include');
  f = toggle(f, BOAT, 'exclude');
  assert.deepEqual([f.include, f.exclude], [[], [BOAT]]);
  f = toggle(f, BOAT, 'exclude');
  assert.deepEqual([f.include, f.exclude], [[], []]);
});

test('described in words; an older single-class state is read', () => {
  const names = VOC_CLASSES;
  assert.equal(describe({ include: [DOG], exclude: [], mode: 'all' }, names), 'with dog');
  assert.equal(
    describe({ include: [BOAT, PERSON], exclude: [DOG], mode: 'any' }, names),
    'with any of boat, person · without dog',
  );
  assert.deepEqual(restoreFilter(undefined, DOG), { include: [DOG], exclude: [], mode: 'all' });
  assert.deepEqual(restoreFilter({ include: [1], exclude: [2], mode: 'any' }, null), {
    include: [1],
    exclude: [2],
    mode: 'any',
  });
});
