// The authors' own prompt selection for POLE's bank (METHOD §2.2, "Statistics of the shipped selection"):
// selected_cls_train_aug.json beside the bank, {image: {class: word}}. The copy in this project is JSON;
// the authors' original assets are Python pickles, which only Python can read safely, so for those the
// engine's `python -m wsss_engine pole-stats PATH` computes the counts and the result is cached (keyed by
// path, size and mtime) so the engine runs once per file. No `vscode` import.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WordCounts } from '../../../protocol/webview/synonyms';
import { countSelections, toWordCounts } from './selectionResults';

/** The authors' selection file, looked for beside the bank. */
export const OFFICIAL_SELECTION_FILE = 'selected_cls_train_aug.json';

/** Counts of the official selection, or why there are none. */
export type OfficialStats =
  { counts: WordCounts; source: string } | { counts: null; message: string; source: string | null };

/** Runs the engine's pole-stats subcommand on a selection file (with the bank, needed for prompt lists). */
export type PoleStatsCommand = (path: string, bankPath: string) => Promise<unknown>;

/** A JSON cache on disk (VS Code: the extension's globalStorage folder). */
export class StatsCache {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, 'pole-stats', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
  }

  async get(key: string): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8'));
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    const path = this.file(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path); // atomic, like every JSON file of the project
  }
}

/** The official counts for the bank at `bankPath`, when POLE's selection file sits beside it. */
export async function loadOfficialStats(
  bankPath: string,
  cache: StatsCache | undefined,
  poleStats: PoleStatsCommand | undefined,
): Promise<OfficialStats> {
  const source = join(dirname(bankPath), OFFICIAL_SELECTION_FILE);
  let info;
  try {
    info = await stat(source);
  } catch {
    return {
      counts: null,
      source: null,
      message: `No ${OFFICIAL_SELECTION_FILE} beside the bank: the authors' statistics are shown for POLE's bank only.`,
    };
  }
  const key = `${source}:${info.size}:${info.mtimeMs}`;
  const cached = cache ? await cache.get(key) : undefined;
  if (cached !== undefined) {
    const counts = toWordCounts(cached, source);
    if (!(counts instanceof Error)) return { counts, source };
  }
  const raw = await readFile(source);
  let counts: WordCounts | Error;
  if (raw[0] === 0x80) {
    // Pickle protocol >= 2 starts with PROTO (0x80): only the engine can read it.
    if (!poleStats) {
      return {
        counts: null,
        source,
        message: `${source} is a Python pickle; starting the engine is needed to read it (python -m wsss_engine pole-stats).`,
      };
    }
    try {
      const out = await poleStats(source, bankPath);
      counts = toWordCounts((out as { counts?: unknown })?.counts, `pole-stats output for ${source}`);
    } catch (e) {
      return { counts: null, source, message: `pole-stats failed on ${source}: ${(e as Error).message}` };
    }
  } else {
    try {
      counts = countSelections(JSON.parse(raw.toString('utf8')), source);
    } catch (e) {
      return { counts: null, source, message: `${source} is neither JSON nor a pickle: ${(e as Error).message}` };
    }
  }
  if (counts instanceof Error) return { counts: null, source, message: counts.message };
  await cache?.set(key, counts);
  return { counts, source };
}
