// The pure parts of the SVG charts and the Fig. 4 shares: ticks, thinning, radar geometry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { thin } from '../../../webview/shared/charts/line';
import { radarPoints, spokeAngle } from '../../../webview/shared/charts/radar';
import { linearScale, niceDomain, niceTicks } from '../../../webview/shared/charts/svg';
import { classShares, overallGroundTruthShare } from '../../../webview/synonyms/wordShares';

test('ticks are round and cover the domain', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.05, 0.5, 4), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(niceDomain(0.13, 1.57, 4), [0, 2]);
  const y = linearScale([0, 1], [100, 0]);
  assert.equal(y(0.25), 75);
});

test('thinning keeps the first, last and extreme points', () => {
  const points = Array.from({ length: 5000 }, (_, i) => ({ x: i, y: i === 2345 ? 99 : Math.sin(i / 50) }));
  const out = thin(points, 600);
  assert.ok(out.length <= 620, `${out.length} points`);
  assert.deepEqual(out[0], points[0]);
  assert.deepEqual(out.at(-1), points.at(-1));
  assert.ok(
    out.some((p) => p.y === 99),
    'the spike survives',
  );
  assert.ok(
    out.every((p, i) => i === 0 || p.x > out[i - 1].x),
    'x stays increasing',
  );
  assert.equal(thin(points.slice(0, 10)).length, 10);
});

test('radar spokes start upwards, clockwise; values scale to the radius', () => {
  assert.equal(spokeAngle(0, 4), -Math.PI / 2);
  const [top, right, bottom, left] = radarPoints([1, 0.5, 0, Number.NaN], 1, 100, 0, 0);
  assert.deepEqual(top.map(Math.round), [0, -100]);
  assert.deepEqual(right.map(Math.round), [50, 0]);
  assert.deepEqual(bottom.map(Math.round), [0, 0]);
  assert.deepEqual(left.map(Math.round), [0, 0]);
});

test('word shares per class follow the bank order; a word no longer in the bank is no axis', () => {
  const run = { sofa: { couch: 3, sofa: 1, divan: 1 } };
  const s = classShares('sofa', ['sofa', 'couch'], [run, null]);
  assert.deepEqual(s.words, ['sofa', 'couch']);
  assert.deepEqual(s.shares[0], [0.2, 0.6]);
  assert.deepEqual(s.removed, [{ word: 'divan', wins: 1 }]);
  assert.ok(s.shares[1].every(Number.isNaN));
  assert.deepEqual(s.totals, [5, 0]);
  assert.equal(overallGroundTruthShare([{ name: 'sofa', words: ['sofa', 'couch'] }], run), 0.2);
});
