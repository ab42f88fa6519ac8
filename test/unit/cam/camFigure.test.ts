// Figure size rule of exported CAM pictures and the CAM Preview (webview/shared/camFigure.ts): a tiny image
// (the demo's 64×150 synthetic photos) is enlarged to a long side of at least 512 px; a big one is left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIGURE_LONG_SIDE, figureScale } from '../../../webview/shared/camFigure';

test('tiny images are enlarged to a long side of at least 512 px, large ones are not', () => {
  for (const [w, h] of [
    [64, 150],
    [150, 64],
    [8, 8],
    [500, 375],
  ]) {
    const s = figureScale(w, h);
    assert.ok(Math.round(Math.max(w, h) * s) >= FIGURE_LONG_SIDE, `${w}×${h} × ${s}`);
    assert.ok(Math.round(Math.max(w, h) * s) <= FIGURE_LONG_SIDE + 1, 'no more than needed');
  }
  assert.equal(figureScale(1024, 768), 1);
  assert.equal(figureScale(512, 10), 1);
});
