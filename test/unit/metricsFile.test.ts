// metrics.jsonl read incrementally while the engine appends to it, with truncated and damaged lines.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { MetricsReader, parseMetricLines } from '../../extension/runs/metricsFile';

const root = mkdtempSync(path.join(tmpdir(), 'wsss-metrics-'));
after(() => rmSync(root, { recursive: true, force: true }));

const line = (step: number, loss: number) =>
  JSON.stringify({ time: 1700000000 + step, stage: 'clims', step, loss, lr: 0.01 }) + '\n';

describe('MetricsReader', () => {
  it('returns nothing before the file exists', async () => {
    const chunk = await new MetricsReader(path.join(root, 'missing')).readNew();
    assert.deepEqual(chunk, { records: [], skipped: [], restarted: false });
  });

  it('reads only complete lines, then the rest once it is written', async () => {
    const file = path.join(root, 'metrics.jsonl');
    const reader = new MetricsReader(root);
    const partial = line(2, 0.5);
    writeFileSync(file, line(1, 0.9) + partial.slice(0, 10)); // the engine is mid-write
    const first = await reader.readNew();
    assert.deepEqual(
      first.records.map((r) => r.step),
      [1],
    );
    assert.deepEqual(first.records[0]!.values, { loss: 0.9, lr: 0.01 });
    assert.deepEqual((await reader.readNew()).records, []); // nothing new yet
    appendFileSync(file, partial.slice(10) + line(3, 0.25));
    const second = await reader.readNew();
    assert.deepEqual(
      second.records.map((r) => [r.step, r.values.loss]),
      [
        [2, 0.5],
        [3, 0.25],
      ],
    );
    assert.deepEqual(second.skipped, []);
  });

  it('skips damaged lines with their line numbers and restarts when the file is rewritten', async () => {
    const dir = mkdtempSync(path.join(root, 'run-'));
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(file, line(1, 1) + '{"stage": "clims", "st\n' + '[1,2]\n' + line(2, 0.5));
    const reader = new MetricsReader(dir);
    const chunk = await reader.readNew();
    assert.deepEqual(
      chunk.records.map((r) => r.step),
      [1, 2],
    );
    assert.deepEqual(
      chunk.skipped.map((s) => s.line),
      [2, 3],
    );
    writeFileSync(file, line(1, 0.7)); // shorter: a new run wrote the file afresh
    const again = await reader.readNew();
    assert.equal(again.restarted, true);
    assert.deepEqual(
      again.records.map((r) => r.values.loss),
      [0.7],
    );
  });

  it('restarts when the engine replaces the file, even with a longer one (a resume dropped replayed lines)', async () => {
    const dir = mkdtempSync(path.join(root, 'run-'));
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(file, line(1, 0.9) + line(2, 0.8) + line(3, 0.7));
    const reader = new MetricsReader(dir);
    assert.deepEqual(
      (await reader.readNew()).records.map((r) => r.step),
      [1, 2, 3],
    );
    // killed after step 3, checkpoint at step 1: the resumed stage logs 2, 3, 4 and the engine rewrote the file
    writeFileSync(
      path.join(dir, '.metrics.jsonl.1.2.tmp'),
      line(1, 0.9) + line(2, 0.85) + line(3, 0.75) + line(4, 0.6),
    );
    renameSync(path.join(dir, '.metrics.jsonl.1.2.tmp'), file);
    const again = await reader.readNew();
    assert.equal(again.restarted, true);
    assert.deepEqual(
      again.records.map((r) => [r.step, r.values.loss]),
      [
        [1, 0.9],
        [2, 0.85],
        [3, 0.75],
        [4, 0.6],
      ],
    );
  });
});

describe('parseMetricLines', () => {
  it('keeps lines with NaN losses, dropping the NaN values', () => {
    const { records, skipped } = parseMetricLines('{"time": 1, "stage": "s", "step": 4, "loss": NaN, "acc": 0.5}');
    assert.deepEqual(skipped, []);
    assert.deepEqual(records[0]!.values, { acc: 0.5 });
  });

  it('rejects objects without stage or step', () => {
    const { skipped } = parseMetricLines('{"time": 1, "step": 1}\n{"stage": "s"}');
    assert.deepEqual(
      skipped.map((s) => s.reason),
      ['no "stage" name', 'no numeric "step"'],
    );
  });
});
