// Finding the engine's Python: the setting first (never silently replaced), then <workspace>/.venv, then
// the extension's .venv; each candidate is run to check that it imports wsss_engine.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
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

const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-interp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A workspace folder whose .venv/bin/python is the test Python. */
function workspaceWithVenv(name: string): string {
  const folder = path.join(tmp, name);
  mkdirSync(path.dirname(venvPython(folder)), { recursive: true });
  symlinkSync(enginePython, venvPython(folder));
  return folder;
}

describe('interpreterCandidates', () => {
  it('an explicit setting is the only candidate, resolved against the workspace', () => {
    assert.deepEqual(interpreterCandidates({ setting: 'env/bin/python', workspaceFolders: ['/ws'], extensionPath: '/ext' }),
      [{ pythonPath: path.resolve('/ws', 'env/bin/python'), source: 'setting' }]);
  });
  it('without a setting: each workspace .venv, then the extension .venv', () => {
    assert.deepEqual(interpreterCandidates({ setting: ' ', workspaceFolders: ['/a', '/b'], extensionPath: '/ext' }).map((c) => c.source),
      ['workspace', 'workspace', 'extension']);
  });
});

describe('findEnginePython', { skip: engineUnavailable() }, () => {
  it('accepts a setting that imports wsss_engine', async () => {
    const found = await findEnginePython({ setting: enginePython, workspaceFolders: [], extensionPath: tmp, env: engineEnv(false) });
    assert.equal(found.source, 'setting');
    assert.match(found.engineVersion, /\d/);
    assert.equal(found.hasTorch, true);
  });

  it('finds the workspace .venv before the extension one', async () => {
    const ws = workspaceWithVenv('ws1');
    const found = await findEnginePython({ setting: '', workspaceFolders: [ws], extensionPath: tmp, env: engineEnv(false) });
    assert.equal(found.source, 'workspace');
    assert.equal(found.pythonPath, venvPython(ws));
  });

  it('names a Python that runs but lacks the engine, and the fix', async () => {
    const ws = workspaceWithVenv('ws2');
    const env = { ...process.env, PYTHONPATH: '' };
    await assert.rejects(findEnginePython({ setting: '', workspaceFolders: [ws], extensionPath: tmp, env }), (e: unknown) =>
      e instanceof InterpreterNotFoundError && e.message.includes(venvPython(ws)) &&
      e.message.includes('cannot import wsss_engine') && e.message.includes('scripts/setup-engine.sh'));
  });

  it('names a missing interpreter from the setting', async () => {
    await assert.rejects(findEnginePython({ setting: '/no/such/python', workspaceFolders: [], extensionPath: tmp }),
      (e: unknown) => e instanceof InterpreterNotFoundError && /\/no\/such\/python: no such file/.test(e.message));
  });

  it('says so when there is nothing to try', async () => {
    await assert.rejects(findEnginePython({ setting: '', workspaceFolders: [path.join(tmp, 'empty')], extensionPath: tmp }),
      /no "wsss.pythonPath" setting and no .venv/);
  });

  it("puts the extension's engine source on PYTHONPATH when it ships one", () => {
    const env = engineEnvironment(repoRoot, { PYTHONPATH: '/other' });
    assert.equal(env.PYTHONPATH, [path.join(repoRoot, 'engine'), '/other'].join(path.delimiter));
    assert.equal(engineEnvironment(tmp, {}).PYTHONPATH, undefined);
  });
});
