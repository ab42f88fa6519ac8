// The synonym bank editor as a VS Code custom text editor (viewType wsss.synonymBank, priority "option": the
// text editor stays the default). The TextDocument is the single source of truth: panel edits are
// WorkspaceEdits (undo, save, dirty state, git and diff keep working), and any change to the document,
// from the panel, the text editor or a checkout, re-renders the panel.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SynonymsContract } from '../../../protocol/webview/synonyms';
import { engineEnvironment, findEnginePython } from '../../engine/interpreter';
import { readSettings } from '../../settings';
import { runSearchRoots } from '../../runs/runFolder';
import { listRunChoices } from '../report/runReports';
import { attachPanel, type PanelDefinition, type PanelEnvironment } from '../panelHost';
import { BankDiagnostics } from './bankDiagnosticsCollection';
import {
  engineScorer,
  engineSuggester,
  poleStatsCommand,
  type ScoringEngine,
  type SuggestingEngine,
} from './engineAccess';
import { StatsCache } from './officialSelection';
import { SynonymBankSession, type BankDocumentPort } from './synonymBankSession';
import { activeFileUri } from '../activeFile';

export const SYNONYM_BANK_VIEW_TYPE = 'wsss.synonymBank';
export const OPEN_SYNONYM_BANK_COMMAND = 'wsss.openSynonymBankEditor';

/** What the editor needs from the extension's services. */
export interface SynonymEditorServices {
  /** Start (or get) the engine; rejects in an untrusted workspace. Absent: scoring is unsupported. */
  ensureEngine?(action: string): Promise<ScoringEngine & SuggestingEngine>;
}

/** A TextDocument as the session's BankDocumentPort: edits become one WorkspaceEdit replacement. */
export function textDocumentPort(document: vscode.TextDocument): BankDocumentPort {
  return {
    path: document.uri.fsPath,
    getText: () => document.getText(),
    async replace(edit) {
      const workspaceEdit = new vscode.WorkspaceEdit();
      const range = new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length));
      workspaceEdit.replace(document.uri, range, edit.text);
      return vscode.workspace.applyEdit(workspaceEdit);
    },
  };
}

class SynonymBankEditorProvider implements vscode.CustomTextEditorProvider {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly env: PanelEnvironment,
    private readonly services: SynonymEditorServices,
    private readonly diagnostics: BankDiagnostics,
  ) {}

  async resolveCustomTextEditor(document: vscode.TextDocument, webviewPanel: vscode.WebviewPanel): Promise<void> {
    const extensionPath = this.context.extensionUri.fsPath;
    const python = async () => {
      if (!vscode.workspace.isTrusted) throw new Error('the workspace is not trusted, so no Python process is started');
      const env = engineEnvironment(extensionPath);
      const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
      const found = await findEnginePython({
        setting: readSettings().pythonPath,
        workspaceFolders: folders,
        extensionPath,
        env,
      });
      return { pythonPath: found.pythonPath, env };
    };
    const session = new SynonymBankSession(textDocumentPort(document), {
      listRuns: () =>
        listRunChoices(
          runSearchRoots(this.env.runsDirectory?.(), this.env.workspaceFolders, this.env.runSearchFolders?.()),
        ),
      pickFolder: (title) => this.env.pickFolder(title, path.dirname(document.uri.fsPath)),
      openTextEditor: async () => {
        await vscode.commands.executeCommand('vscode.openWith', document.uri, 'default', vscode.ViewColumn.Beside);
      },
      scorer: this.services.ensureEngine ? engineScorer((action) => this.services.ensureEngine!(action)) : undefined,
      suggester: this.services.ensureEngine
        ? engineSuggester((action) => this.services.ensureEngine!(action))
        : undefined,
      pickFile: async (title) => {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, title, openLabel: 'Use' });
        return picked?.[0]?.fsPath;
      },
      statsCache: new StatsCache(this.env.storageDir),
      poleStats: poleStatsCommand(python),
    });
    const definition: PanelDefinition<SynonymsContract> = {
      viewType: SYNONYM_BANK_VIEW_TYPE,
      command: OPEN_SYNONYM_BANK_COMMAND,
      title: `Synonym bank: ${path.basename(document.uri.fsPath)}`,
      script: 'synonyms',
      createHandler: (rpc) => {
        session.attach({ sendSnapshot: () => void rpc.sendSnapshot() });
        return session;
      },
    };
    attachPanel(webviewPanel, definition, this.context.extensionUri, this.env, document.uri.fsPath);
    let pending: ReturnType<typeof setTimeout> | undefined;
    const subscriptions = [
      this.diagnostics.track(document),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== document.uri.toString() || e.contentChanges.length === 0) return;
        clearTimeout(pending); // typing in the text editor: one snapshot per pause, not per key
        pending = setTimeout(() => session.documentChanged(), 120);
      }),
    ];
    webviewPanel.onDidDispose(() => {
      clearTimeout(pending);
      for (const s of subscriptions) s.dispose();
    });
  }
}

/** Registers the custom editor, its diagnostics and the "Open in Synonym Bank Editor" command. */
export function registerSynonymBankEditor(
  context: vscode.ExtensionContext,
  env: PanelEnvironment,
  services: SynonymEditorServices,
): void {
  const diagnostics = new BankDiagnostics();
  context.subscriptions.push(
    diagnostics,
    vscode.window.registerCustomEditorProvider(
      SYNONYM_BANK_VIEW_TYPE,
      new SynonymBankEditorProvider(context, env, services, diagnostics),
      {
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      },
    ),
    vscode.commands.registerCommand(OPEN_SYNONYM_BANK_COMMAND, async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : activeFileUri(); // also a bank already open in this editor
      if (!uri) {
        void vscode.window.showErrorMessage(
          'Open a synonym bank JSON file first, then run "Open in Synonym Bank Editor".',
        );
        return;
      }
      await vscode.commands.executeCommand('vscode.openWith', uri, SYNONYM_BANK_VIEW_TYPE);
    }),
  );
}
