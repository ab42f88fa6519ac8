// The file the user is looking at, for commands run from the palette with no argument: the active text editor's,
// else the active tab's (a custom editor such as VS Code's image viewer or the synonym bank editor, which have no
// text editor; issue 13).
import * as vscode from 'vscode';

export function activeFileUri(): vscode.Uri | undefined {
  const text = vscode.window.activeTextEditor?.document.uri;
  if (text) return text;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) return input.uri;
  if (input instanceof vscode.TabInputTextDiff) return input.modified;
  return undefined;
}
