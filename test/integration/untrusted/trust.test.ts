// Test (3): in an untrusted workspace (VS Code workspace trust on, folder never trusted) the extension
// activates in its limited mode and starts no engine: wsss.startRun spawns no Python process under this
// extension host and writes no run folder (docs/DESIGN.md "Untrusted workspaces").
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { wsssExtension } from '../extensionUnderTest';
import { pythonDescendants, type ProcessInfo } from '../../support/processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WSSS Studio in an untrusted workspace', () => {
  it('the workspace really is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('activates (limited support) without spawning Python', async () => {
    const ext = wsssExtension();
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.deepEqual(
      pythonDescendants().map((p) => p.argv.join(' ')),
      [],
    );
  });

  it('wsss.startRun starts no engine and writes no run folder', async function () {
    this.timeout(30_000);
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'no workspace folder open');
    const configPath = path.join(workspace, 'tiny-world.wsss-run.json');
    const runDir = path.join(workspace, 'runs', 'tiny-untrusted');
    // The command is registered in limited mode too, so what refuses is the trust gate, not a missing command.
    assert.ok((await vscode.commands.getCommands(true)).includes('wsss.startRun'), 'wsss.startRun is not registered');
    const seen: ProcessInfo[] = [];
    const watch = setInterval(() => seen.push(...pythonDescendants()), 50);
    try {
      // Refusing (a rejection, a message, or a prompt left unanswered) is the expected behaviour; only
      // a started engine or a run folder fails the test.
      const command = Promise.resolve(vscode.commands.executeCommand('wsss.startRun', { configPath, runDir })).catch(
        (err: unknown) => ({ refused: String(err) }),
      );
      const result = await Promise.race([command, sleep(5000).then(() => ({ pending: 'still waiting after 5 s' }))]);
      await sleep(3000);
      seen.push(...pythonDescendants());
      assert.deepEqual(
        seen.map((p) => p.argv.join(' ')),
        [],
        `Python spawned in an untrusted workspace (startRun gave ${JSON.stringify(result)})`,
      );
      assert.equal(fs.existsSync(path.join(runDir, 'run.json')), false, 'a run folder was written');
    } finally {
      clearInterval(watch);
    }
  });
});
