// "Open in TensorBoard" (extension/tensorboard/tensorboardLauncher.ts): a run's events/ served by a real
// TensorBoard from the engine venv on a free loopback port (its scalar tags read back over HTTP), reused for
// the same run; a Python without TensorBoard and a run without events are refused with what to do.
// The launch takes ~5 s (TensorBoard's own start-up); skipped where the venv has no TensorBoard.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  eventsDirOf,
  TensorBoardError,
  TensorBoards,
  tensorBoardVersion,
} from '../../extension/tensorboard/tensorboardLauncher';
import { enginePython } from '../support/paths';
import { writeScalarEvents } from './fixtures/tfEvents';

let tmp: string;
const boards = new TensorBoards();

function hasTensorBoard(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import tensorboard'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wsss-tensorboard-'));
});
after(() => {
  boards.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('a run without events/ is refused, saying when they appear', async () => {
  const run = join(tmp, 'fresh-run');
  mkdirSync(run);
  await assert.rejects(eventsDirOf(run), (e: TensorBoardError) => {
    assert.ok(e instanceof TensorBoardError);
    assert.match(e.message, /fresh-run has no TensorBoard events yet/);
    assert.match(e.hint, /first metrics/);
    return true;
  });
});

test('a Python without TensorBoard: the message says how to install it there', async (t) => {
  const bare = '/usr/bin/python3';
  if (hasTensorBoard(bare)) return t.skip('the system Python has TensorBoard');
  await assert.rejects(tensorBoardVersion(bare), (e: TensorBoardError) => {
    assert.match(e.message, /TensorBoard is not installed in the engine's Python \(\/usr\/bin\/python3\)/);
    assert.match(e.hint, /"\/usr\/bin\/python3" -m pip install tensorboard/);
    return true;
  });
});

test("serves the run's scalars on a free loopback port, once per run", async (t) => {
  const python = enginePython();
  if (!hasTensorBoard(python)) return t.skip(`no TensorBoard in ${python}`);
  const run = join(tmp, 'trained-run');
  mkdirSync(join(run, 'events'), { recursive: true });
  writeScalarEvents(join(run, 'events'), 'clims/loss', [
    [1, 0.9],
    [2, 0.7],
    [3, 0.6],
  ]);
  assert.match(await tensorBoardVersion(python), /^\d+\.\d+/);
  const logdir = await eventsDirOf(run);
  const server = await boards.open(python, logdir);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const tags = (await getJson(`${server.url}data/plugin/scalars/tags`)) as Record<string, Record<string, unknown>>;
  assert.ok(tags['.']?.['clims/loss'], `the run's tag is served: ${JSON.stringify(tags)}`);
  assert.equal(await boards.open(python, logdir), server, 'the same run reuses its TensorBoard');
  boards.dispose();
  await new Promise<void>((resolve) =>
    server.process.exitCode !== null ? resolve() : server.process.once('exit', () => resolve()),
  );
});
