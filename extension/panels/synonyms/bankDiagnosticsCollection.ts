// Editor diagnostics for synonym banks (*.synonyms.json, synonyms_*.json, and any file open in the synonym
// bank editor): invalid JSON, unknown classes, bad word lists, on the offending key or value
// (bankDiagnostics.ts), so the Problems view and squiggles agree with the panel.
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { bankProblems, type BankProblemSeverity } from './bankDiagnostics';
import { classListFor } from './classList';
import { parseBank } from './synonymBankDocument';

const SEVERITY: Record<BankProblemSeverity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** File names treated as synonym banks without being opened in the bank editor. */
export function looksLikeBankFile(fsPath: string): boolean {
  const name = fsPath.split(/[\\/]/).pop() ?? '';
  return /\.synonyms\.json$/i.test(name) || /^synonyms[_-].*\.json$/i.test(name);
}

export class BankDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('wsss-synonyms');
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Documents open in the bank editor, checked whatever their name. */
  private readonly inEditor = new Set<string>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (!this.inEditor.has(d.uri.toString())) this.collection.delete(d.uri);
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d);
  }

  /** The bank editor opened this document: check it even if its name is not a bank name. */
  track(document: vscode.TextDocument): vscode.Disposable {
    const key = document.uri.toString();
    this.inEditor.add(key);
    this.schedule(document);
    return { dispose: () => this.inEditor.delete(key) };
  }

  private schedule(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled' && document.uri.scheme !== 'vscode-remote')
      return;
    if (!this.inEditor.has(key) && !looksLikeBankFile(document.uri.fsPath)) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.update(document);
      }, 200),
    );
  }

  private async update(document: vscode.TextDocument): Promise<void> {
    const version = document.version;
    const { list, warning } = await classListFor(document.uri.fsPath);
    const bom = document.uri.scheme === 'file' && (await startsWithBom(document.uri.fsPath));
    if (document.isClosed || document.version !== version) return; // a newer change is scheduled
    const diagnostics = bankProblems(parseBank(document.getText()), list, { bom }).map((p) => {
      const range = new vscode.Range(document.positionAt(p.offset), document.positionAt(p.offset + p.length));
      // The hint on a line of its own: what is wrong and what to do stay apart in the hover and the Problems view.
      const d = new vscode.Diagnostic(range, p.hint ? `${p.message}\n${p.hint}` : p.message, SEVERITY[p.severity]);
      d.source = 'WSSS synonym bank';
      d.code = p.code;
      return d;
    });
    if (warning)
      diagnostics.unshift(
        new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1), warning, vscode.DiagnosticSeverity.Warning),
      );
    this.collection.set(document.uri, diagnostics);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** Whether the saved file starts with a UTF-8 BOM: VS Code hides the mark from the document's text. */
async function startsWithBom(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    return bytesRead === 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  } finally {
    await handle.close();
  }
}
