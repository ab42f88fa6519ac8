/**
 * Which runs a report opened from the Command Palette starts on: the most recently active run folders
 * (run.json's "updated", else "created", else the file's modification time), newest first. Reads run
 * folders through the one run-folder reader (extension/runs/runFolder.ts).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { findRunFolders, readRunFolder } from '../../runs/runFolder';

/** How many runs the palette-opened report compares. */
export const RECENT_RUNS = 3;

async function lastActive(runDir: string): Promise<number> {
  try {
    const { record } = await readRunFolder(runDir);
    const t = Date.parse(record.updated ?? record.created ?? '');
    if (Number.isFinite(t)) return t;
  } catch {
    // unreadable run.json: fall back to the file time (the report shows what is wrong with it)
  }
  return fs.stat(join(runDir, 'run.json')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
}

/** The `count` most recently active run folders under `roots`, newest first. */
export async function recentRunDirs(roots: readonly string[], count = RECENT_RUNS): Promise<string[]> {
  const dirs = await findRunFolders(roots);
  const timed = await Promise.all(dirs.map(async (d) => ({ d, t: await lastActive(d) })));
  return timed
    .sort((a, b) => b.t - a.t || a.d.localeCompare(b.d))
    .slice(0, count)
    .map((x) => x.d);
}
