// "WSSS: Set Up Engine" runs the extension's scripts/setup-engine.sh as a real child process
// (extension/setup/setupProcess.ts): argument array, WSSS_VENV pointing at the extension's .venv, output line by
// line, exit code back, and Cancel killing the script and its children. A stand-in script plays setup-engine.sh.
// Also the one-line form of a message and its hint (extension/errorText.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { withHint } from '../../extension/errorText';
import { runSetup, setupCommand } from '../../extension/setup/setupProcess';

const ext = mkdtempSync(path.join(tmpdir(), 'wsss ext-')); // a space in the path: no shell may split it
after(() => rmSync(ext, { recursive: true, force: true }));

function script(body: string): void {
  mkdirSync(path.join(ext, 'scripts'), { recursive: true });
  writeFileSync(path.join(ext, 'scripts', 'setup-engine.sh'), `#!/usr/bin/env bash\n${body}\n`);
}

test('the setup runs bash on the shipped script with WSSS_VENV at the extension, streaming its lines', async () => {
  script('echo "venv $WSSS_VENV"\necho "to stderr" >&2\nprintf "no newline"\nexit 3');
  assert.deepEqual(setupCommand(ext).args, [path.join(ext, 'scripts', 'setup-engine.sh')]);
  const lines: string[] = [];
  const code = await runSetup(ext, (l) => lines.push(l));
  assert.equal(code, 3);
  assert.deepEqual(lines.sort(), [`venv ${path.join(ext, '.venv')}`, 'no newline', 'to stderr'].sort());
});

test('cancelling kills the script and the process it started', async () => {
  script('echo started\nsleep 30 &\nwait');
  let cancel: () => void = () => undefined;
  const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (cancel = l) };
  const started = Date.now();
  const lines: string[] = [];
  const done = runSetup(
    ext,
    (l) => {
      lines.push(l);
      if (l === 'started') cancel();
    },
    token,
  );
  assert.equal(await done, null);
  assert.ok(Date.now() - started < 10_000, 'the setup was not stopped');
});

test('a message and its hint read as two parts', () => {
  assert.equal(
    withHint('dataset root /d has no JPEGImages/ folder', 'expected a VOC-layout folder: JPEGImages/<id>.jpg'),
    'dataset root /d has no JPEGImages/ folder. What to do: expected a VOC-layout folder: JPEGImages/<id>.jpg.',
  );
  assert.equal(withHint('The run failed.', undefined), 'The run failed.');
});
