// Finding the engine's Python: the setting first (never silently replaced), then <workspace>/.venv, then
// the extension's .venv; each candidate is run to check that it imports wsss_engine.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  engineEnvironment,
  findEnginePython,
  interpreterCandidates,
  InterpreterNotFoundError,
  venvPython,
} from '../../extension/engine/interpreter';
import { enginePython, engineEnv, engineUnavailable, repoRoot } from './engineFixture';

/** Debian's Python: runs, but has neither the engine (without PYTHONPATH) nor torch. */
const systemPython = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-interp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A workspace folder whose .venv is the test Python's virtual environment (a link to the whole folder). */
function workspaceWithVenv(name: string): string {
  const folder = path.join(tmp, name);
  mkdirSync(folder, { recursive: true });
  symlinkSync(path.resolve(enginePython, '../..'), path.join(folder, '.venv'));
  return folder;
}

describe('interpreterCandidates', () => {
  it('an explicit setting is the only candidate, resolved against the workspace', () => {
    assert.deepEqual(
      interpreterCandidates({ setting: 'env/bin/python', workspaceFolders: ['/ws'], extensionPath: '/ext' }),
      [{ pythonPath: path.resolve('/ws', 'env/bin/python'), source: 'setting' }],
    );
  });
  it('without a setting: each workspace .venv, then the extension .venv', () => {
    assert.deepEqual(
      interpreterCandidates({ setting: ' ', workspaceFolders: ['/a', '/b'], extensionPath: '/ext' }).map(
        (c) => c.source,
      ),
      ['workspace', 'workspace', 'extension'],
    );
  });
});

describe('findEnginePython', { skip: engineUnavailable() }, () => {
  it('accepts a setting that imports wsss_engine', async () => {
    const found = await findEnginePython({
      setting: enginePython,
      workspaceFolders: [],
      extensionPath: tmp,
      env: engineEnv(false),
    });
    assert.equal(found.source, 'setting');
    assert.match(found.engineVersion, /\d/);
    assert.equal(found.hasTorch, true);
  });

  it('finds the workspace .venv before the extension one', async () => {
    const ws = workspaceWithVenv('ws1');
    const found = await findEnginePython({
      setting: '',
      workspaceFolders: [ws],
      extensionPath: tmp,
      env: engineEnv(false),
    });
    assert.equal(found.source, 'workspace');
    assert.equal(found.pythonPath, venvPython(ws));
  });

  it(
    'names a Python that runs but lacks the engine, and the fix',
    { skip: systemPython ? undefined : 'no /usr/bin/python3' },
    async () => {
      const ws = path.join(tmp, 'ws2'); // a .venv/bin/python that is the system Python: no engine there
      mkdirSync(path.dirname(venvPython(ws)), { recursive: true });
      symlinkSync(systemPython!, venvPython(ws));
      const env = { ...process.env, PYTHONPATH: '' };
      await assert.rejects(
        findEnginePython({ setting: '', workspaceFolders: [ws], extensionPath: tmp, env }),
        (e: unknown) =>
          e instanceof InterpreterNotFoundError &&
          e.message.includes(venvPython(ws)) &&
          e.message.includes('cannot import wsss_engine') &&
          e.message.includes('WSSS: Set Up Engine') &&
          e.message.includes('scripts/setup-engine.sh'),
      );
    },
  );

  it(
    'refuses a Python that has the engine but not PyTorch',
    { skip: systemPython ? undefined : 'no /usr/bin/python3' },
    async () => {
      const env = { ...process.env, PYTHONPATH: engineEnv(false).PYTHONPATH };
      await assert.rejects(
        findEnginePython({ setting: systemPython!, workspaceFolders: [], extensionPath: tmp, env }),
        (e: unknown) =>
          e instanceof InterpreterNotFoundError &&
          /PyTorch \(torch\) is not installed/.test(e.message) &&
          e.message.includes('scripts/setup-engine.sh'),
      );
    },
  );

  it('names a missing interpreter from the setting', async () => {
    await assert.rejects(
      findEnginePython({ setting: '/no/such/python', workspaceFolders: [], extensionPath: tmp }),
      (e: unknown) => e instanceof InterpreterNotFoundError && /\/no\/such\/python: no such file/.test(e.message),
    );
  });

  it('says so when there is nothing to try', async () => {
    await assert.rejects(
      findEnginePython({ setting: '', workspaceFolders: [path.join(tmp, 'empty')], extensionPath: tmp }),
      /no "wsss.pythonPath" setting and no .venv/,
    );
  });

  it("puts the extension's engine source on PYTHONPATH when it ships one", () => {
    const env = engineEnvironment(repoRoot, { PYTHONPATH: '/other' });
    assert.equal(env.PYTHONPATH, [path.join(repoRoot, 'engine'), '/other'].join(path.delimiter));
    assert.equal(engineEnvironment(tmp, {}).PYTHONPATH, undefined);
  });
});
