// The extension under test, found by its id (publisher.name from package.json).
import * as vscode from 'vscode';

export const EXTENSION_ID = 'wsss-studio.wsss-studio';

export function wsssExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) {
    const ids = vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.'));
    throw new Error(`extension ${EXTENSION_ID} is not loaded (non-builtin extensions: ${ids.join(', ') || 'none'})`);
  }
  return ext;
}
