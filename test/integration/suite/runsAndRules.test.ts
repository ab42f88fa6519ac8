// Issue 13 in a real VS Code: (1) run discovery: a demo folder outside the workspace, added with
// wsss.runSearchFolders, shows its runs in the WSSS Runs view, runs of one name told apart, the searched folders
// named, a click opening the report; (2) the bank editor's diagnostics and the engine's loader give one bank the
// same verdicts (schemas/synonym-bank.rules.json): a case/space duplicate is an error on both sides, a BOM a
// warning on both.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../../../extension/services';
import { enginePython, repoRoot } from '../../support/paths';
import { wsssExtension } from '../extensionUnderTest';

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function writeDemoRun(dir: string, name: string, created: string, miou: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const stage = { id: 'eval', type: 'evaluate', status: 'completed', started: null, finished: null, summary: { miou } };
  const run = { formatVersion: 1, id: path.basename(dir), name, status: 'completed', created, synthetic: true };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...run, stages: [stage], error: null }));
}

describe('runs where they are, one set of bank rules (issue 13) in a real VS Code', () => {
  let services: ExtensionServices;
  let tmp: string;
  let workspace: string;

  before(async function () {
    services = (await wsssExtension().activate()) as ExtensionServices;
    workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    if (!workspace) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-issue13-'));
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('wsss')
      .update('runSearchFolders', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a demo folder added to the search shows its runs, same names told apart, a click opening the report', async () => {
    const demo = path.join(tmp, 'demo');
    writeDemoRun(path.join(demo, 'baseline'), 'synthetic-baseline', '2026-11-01T08:00:00Z', 0.31);
    writeDemoRun(path.join(demo, 'pole_full'), 'synthetic-pole', '2026-11-01T09:00:00Z', 0.36);
    writeDemoRun(path.join(demo, 'pole_full_seed1'), 'synthetic-pole', '2026-11-02T09:00:00Z', 0.35);
    await vscode.workspace
      .getConfiguration('wsss')
      .update('runSearchFolders', [demo], vscode.ConfigurationTarget.Workspace);
    const tree = services.runsTree;
    const items = await waitFor('the demo runs in the Runs view', async () => {
      const children = (await tree.getChildren()) as (vscode.TreeItem & { runDir?: string })[];
      const mine = children.filter((c) => c.runDir?.startsWith(demo));
      return mine.length === 3 && mine;
    });
    const labels = items.map((i) => String(i.label)).sort();
    assert.deepEqual(labels, [
      'synthetic-baseline',
      'synthetic-pole · 2026-11-01 09:00',
      'synthetic-pole · 2026-11-02 09:00',
    ]);
    const pole = items.find((i) => String(i.label).endsWith('11-01 09:00'))!;
    assert.equal(pole.command?.command, 'wsss.openReport');
    assert.match((pole.tooltip as vscode.MarkdownString).value, /mIoU: eval 0\.360/);
  });

  it('the editor and the engine agree: a case duplicate is an error, a BOM a warning', async function () {
    if (!fs.existsSync(enginePython())) this.skip();
    this.timeout(90_000);
    const bank = path.join(workspace, 'issue13.synonyms.json');
    const text = JSON.stringify({ aeroplane: ['aeroplane', 'Aircraft ', 'aircraft'], cat: ['cat', 'kitty'] }, null, 2);
    fs.writeFileSync(bank, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    try {
      const doc = await vscode.workspace.openTextDocument(bank);
      await vscode.window.showTextDocument(doc);
      const diagnostics = await waitFor('bank diagnostics', () => {
        const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'WSSS synonym bank');
        return d.some((x) => x.code === 'bom') && d;
      });
      const verdict = (code: string) => diagnostics.find((d) => d.code === code)?.severity;
      assert.equal(verdict('caseDuplicate'), vscode.DiagnosticSeverity.Error);
      assert.equal(verdict('bom'), vscode.DiagnosticSeverity.Warning);
      const duplicate = diagnostics.find((d) => d.code === 'caseDuplicate')!;
      assert.equal(doc.getText(duplicate.range), '"aircraft"');

      // The engine's loader on the same file: the same error (with the same message), and the BOM as a warning.
      const engine = (file: string) =>
        execFileSync(
          enginePython(),
          [
            '-c',
            'import json, sys\n' +
              'from wsss_engine.errors import ConfigInvalid\n' +
              'from wsss_engine.pole.synonym_bank import SynonymBank\n' +
              'try:\n' +
              '    b = SynonymBank.load(sys.argv[1], ["aeroplane", "cat"])\n' +
              '    print(json.dumps({"warnings": b.warnings}))\n' +
              'except ConfigInvalid as e:\n' +
              '    print(json.dumps({"error": e.message, "hint": e.hint}))\n',
            file,
          ],
          { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine') }, encoding: 'utf8' },
        );
      const refused = JSON.parse(engine(bank)) as { error?: string };
      assert.ok(refused.error?.includes('lists "Aircraft " twice (again as "aircraft"'), refused.error);
      assert.ok(duplicate.message.startsWith('Class "aeroplane" lists "Aircraft " twice'), duplicate.message);
      const clean = path.join(tmp, 'bom-only.synonyms.json');
      fs.writeFileSync(
        clean,
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"cat": ["cat", "kitty"]}')]),
      );
      const loaded = JSON.parse(engine(clean)) as { warnings?: string[] };
      assert.equal(loaded.warnings?.length, 1);
      assert.match(loaded.warnings![0], /byte order mark/);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(bank, { force: true });
    }
  });
});
