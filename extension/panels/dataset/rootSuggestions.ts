/**
 * Dataset roots to offer when the browser opens with none: VOC-layout folders in the workspace (two levels
 * deep) and the dataset.root of every run folder's config.json (so a run's synthetic world is one click away).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { findVocRoot } from '../../dataset/vocLayout';
import { findRunFolders, runDatasetRoot, runSearchRoots } from '../../runs/runFolder';

const MAX = 8;

export async function suggestRoots(workspaceFolders: string[], runsDirectory?: string): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    const root = await findVocRoot(dir);
    if (root) {
      found.add(root);
      return;
    }
    if (depth === 0) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries
        .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.') && e.name !== 'node_modules')
        .map((e) => visit(path.join(dir, e.name), depth - 1)),
    );
  };
  await Promise.all(workspaceFolders.map((w) => visit(w, 2)));
  const runs = await findRunFolders(runSearchRoots(runsDirectory, workspaceFolders));
  await Promise.all(
    runs.map(async (run) => {
      const root = await runDatasetRoot(run);
      if (root) found.add(root);
    }),
  );
  return [...found].sort().slice(0, MAX);
}
