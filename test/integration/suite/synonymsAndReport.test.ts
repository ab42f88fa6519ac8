// The synonym bank editor and the mIoU report in the real VS Code: bank diagnostics on the offending key,
// the custom editor is an option (the text editor stays the default), a panel edit is a WorkspaceEdit that
// dirties the document and undoes, and the report opens on a run folder and gets its snapshot.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { textDocumentPort } from '../../../extension/panels/synonyms/synonymBankEditor';
import { applyBankEdit, minimalEdit } from '../../../extension/panels/synonyms/synonymBankDocument';
import { sharedDir } from '../../support/paths';
import { writeRun } from '../../webview/fixtures/runFolders';
import { wsssExtension } from '../extensionUnderTest';
import { allTabs, waitFor } from '../waitFor';

describe('synonym bank editor and mIoU report in a real VS Code', () => {
  let workspace: string;
  let bankFile: string;
  let original: string;

  before(async function () {
    await wsssExtension().activate();
    workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const pole = path.join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json');
    if (!workspace || !fs.existsSync(pole)) this.skip();
    original = fs.readFileSync(pole, 'utf8');
    bankFile = path.join(workspace, 'pole.synonyms.json');
    fs.writeFileSync(bankFile, original.replace('"tvmonitor": [', '"zebra": ["zebra"],\n "tvmonitor": ['));
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reports an unknown class as a diagnostic on its key; the text editor stays the default', async () => {
    const uri = vscode.Uri.file(bankFile);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.ok(
      allTabs().some((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === bankFile),
      'opened as text by default',
    );
    const diagnostics = await waitFor('synonym bank diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'WSSS synonym bank');
      return d.length > 0 ? d : undefined;
    });
    const unknown = diagnostics.find((d) => d.code === 'unknownClass');
    assert.ok(unknown, JSON.stringify(diagnostics.map((d) => d.message)));
    assert.equal(doc.getText(unknown.range), '"zebra"');
    assert.equal(unknown.severity, vscode.DiagnosticSeverity.Error);
  });

  it('opens in the synonym bank editor by command; a panel edit is a WorkspaceEdit that undo reverts', async () => {
    const uri = vscode.Uri.file(bankFile);
    await vscode.commands.executeCommand('wsss.openSynonymBankEditor', uri);
    await waitFor('the custom editor tab', () =>
      allTabs().find((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'wsss.synonymBank'),
    );

    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const before = doc.getText();
    const after = applyBankEdit(before, { kind: 'addWord', className: 'sofa', word: 'divan' });
    assert.ok(typeof after === 'string');
    assert.equal(await textDocumentPort(doc).replace(minimalEdit(before, after)!), true);
    assert.equal(doc.getText(), after);
    assert.equal(doc.isDirty, true, 'the edit dirties the document like typing does');
    await vscode.commands.executeCommand('undo');
    await waitFor('undo', () => doc.getText() === before);
  });

  it('opens the mIoU report on a run folder; the webview gets its snapshot', async () => {
    const runDir = writeRun(workspace, {
      name: 'report-it',
      miou: 0.5,
      metrics: [{ time: 1, stage: 'clims', step: 0, loss: 1 }],
    });
    await vscode.commands.executeCommand('wsss.openReport', vscode.Uri.file(runDir));
    await waitFor('the report tab', () =>
      allTabs().find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('wsss.report')),
    );
    const status = await waitFor('the report snapshot', async () => {
      const all =
        await vscode.commands.executeCommand<{ viewType: string; snapshots: number; failedRequests: number }[]>(
          'wsss.panels.status',
        );
      return all?.find((s) => s.viewType === 'wsss.report' && s.snapshots >= 1);
    });
    assert.equal(status.failedRequests, 0);
  });
});
