// Test (1): the extension activates by id in the real extension host and registers every command it contributes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, wsssExtension } from '../extensionUnderTest';

describe('WSSS Studio in a real VS Code (trusted workspace)', () => {
  it(`activates by id (${EXTENSION_ID})`, async () => {
    const ext = wsssExtension();
    await ext.activate();
    assert.equal(ext.isActive, true, 'extension did not become active');
    assert.equal(vscode.workspace.isTrusted, true, 'this session runs with workspace trust disabled (trusted)');
  });

  it('registers every command contributed in package.json, wsss.startRun among them', async () => {
    const ext = wsssExtension();
    await ext.activate();
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map(
      (c: { command: string }) => c.command,
    );
    assert.ok(
      contributed.includes('wsss.startRun'),
      `package.json contributes no wsss.startRun (has: ${contributed.join(', ')})`,
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered after activation: ${missing.join(', ')}`);
  });
});
