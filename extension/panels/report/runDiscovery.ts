// Run folders (a folder holding run.json, docs/ARCHITECTURE.md) under the workspace folders, for the
// report and synonym panels' run pickers. A shallow walk: runs live in runs/<name>/ or a few levels down.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunChoice } from '../../../protocol/webview/report';
import { readRunHeader } from './runReports';

const SKIP = new Set(['node_modules', '.git', '.venv', 'checkpoints', 'cams', 'events', '.code-server']);

/** Every run folder at most `maxDepth` levels below the roots, sorted by label. */
export async function discoverRuns(roots: string[], maxDepth = 3): Promise<RunChoice[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === 'run.json')) {
      found.push(dir);
      return; // a run folder holds no other runs
    }
    if (depth >= maxDepth) return;
    await Promise.all(
      entries.filter((e) => e.isDirectory() && !SKIP.has(e.name)).map((e) => walk(join(dir, e.name), depth + 1)),
    );
  };
  await Promise.all(roots.map((r) => walk(r, 0)));
  const choices = await Promise.all(
    found.map(async (runDir) => {
      const header = await readRunHeader(runDir);
      return { runDir, label: header.label, synthetic: header.synthetic, status: header.status };
    }),
  );
  return choices.sort((a, b) => a.label.localeCompare(b.label) || a.runDir.localeCompare(b.runDir));
}
