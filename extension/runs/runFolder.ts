// Reading a run folder directly (docs/ARCHITECTURE.md, "Run folder"), so runs can be inspected with no
// engine running: run.json, config.json, reports, and the one search for runs (findRunFolders) that the runs
// tree, the panels and the previews share. Older or partial run.json files are tolerated with a warning saying
// what was missing. No `vscode` import.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { EngineErrorInfo, RunStatus } from '../../protocol/engine';
import { findConfigRoot } from '../dataset/vocLayout';

/** The run.json formatVersion this extension was written for. */
export const RUN_FORMAT_VERSION = 1;

export type StageStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One stage of a run, as recorded in run.json. */
export interface RunStageRecord {
  id: string;
  type: string;
  status: StageStatus | 'unknown';
  started: string | null;
  finished: string | null;
  summary: Record<string, unknown>;
}

/** run.json, with missing fields filled and an unknown status kept apart from real ones. */
export interface RunRecord {
  formatVersion: number;
  id: string;
  name: string;
  status: RunStatus | 'unknown';
  created: string | null;
  updated: string | null;
  engineVersion: string | null;
  synthetic: boolean;
  stages: RunStageRecord[];
  error: EngineErrorInfo | null;
}

/** A run folder as read: where, what run.json said, and what was odd about it. */
export interface RunFolderInfo {
  dir: string;
  record: RunRecord;
  /** Human-readable notes on missing or unexpected fields (shown in tooltips and the log). */
  warnings: string[];
}

/** run.json is missing or unreadable; the message names the file and what to do. */
export class RunFolderReadError extends Error {
  override readonly name = 'RunFolderReadError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`Cannot read run ${file}: ${reason}`);
  }
}

const RUN_STATUSES: readonly string[] = ['created', 'running', 'completed', 'failed', 'cancelled'];
const STAGE_STATUSES: readonly string[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];

/** Reads <dir>/run.json. */
export async function readRunFolder(dir: string): Promise<RunFolderInfo> {
  const file = path.join(dir, 'run.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RunFolderReadError(
      file,
      code === 'ENOENT'
        ? 'the file does not exist (not a run folder, or the engine has not started this run yet)'
        : (error as Error).message,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RunFolderReadError(
      file,
      `it is not valid JSON (${(error as Error).message}); ` +
        'the engine writes it atomically, so the file was edited or damaged by something else',
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RunFolderReadError(file, 'it does not hold a JSON object');
  }
  const warnings: string[] = [];
  return { dir, record: normalizeRunRecord(raw as Record<string, unknown>, dir, warnings), warnings };
}

/** Fills defaults for fields an older engine did not write, noting each in `warnings`. */
export function normalizeRunRecord(raw: Record<string, unknown>, dir: string, warnings: string[]): RunRecord {
  const str = (key: string, fallback: string | null): string | null => {
    const value = raw[key];
    if (typeof value === 'string') return value;
    if (value !== undefined && value !== null) warnings.push(`run.json "${key}" is not a string; ignored.`);
    else if (fallback === null) warnings.push(`run.json has no "${key}" (written by an older engine?).`);
    return fallback;
  };
  const formatVersion = typeof raw.formatVersion === 'number' ? raw.formatVersion : 0;
  if (formatVersion === 0)
    warnings.push('run.json has no "formatVersion": written by an older engine; read as version 1.');
  if (formatVersion > RUN_FORMAT_VERSION) {
    warnings.push(
      `run.json has formatVersion ${formatVersion}, newer than ${RUN_FORMAT_VERSION}: ` +
        'update WSSS Studio to see every field.',
    );
  }
  const status =
    typeof raw.status === 'string' && RUN_STATUSES.includes(raw.status) ? (raw.status as RunStatus) : 'unknown';
  if (status === 'unknown')
    warnings.push(`run.json has an unknown status ${JSON.stringify(raw.status)}; not treated as complete.`);
  const stages = Array.isArray(raw.stages) ? raw.stages.flatMap((s, i) => normalizeStage(s, i, warnings)) : [];
  if (!Array.isArray(raw.stages)) warnings.push('run.json has no "stages" list; shown without stages.');
  const id = str('id', path.basename(dir)) ?? path.basename(dir);
  return {
    formatVersion,
    id,
    name: str('name', null) ?? id,
    status,
    created: str('created', null),
    updated: str('updated', null),
    engineVersion: str('engineVersion', null),
    synthetic: raw.synthetic === true,
    stages,
    error: normalizeError(raw.error),
  };
}

/** Images a stage skipped as unreadable (skip_corrupt): the summary's "skipped" count and "skipped_ids". */
export function skippedOf(stage: RunStageRecord): { count: number; ids: string[] } {
  const ids = Array.isArray(stage.summary.skipped_ids) ? stage.summary.skipped_ids.map(String) : [];
  const count = typeof stage.summary.skipped === 'number' ? stage.summary.skipped : ids.length;
  return { count, ids };
}

function normalizeStage(raw: unknown, index: number, warnings: string[]): RunStageRecord[] {
  if (typeof raw !== 'object' || raw === null) {
    warnings.push(`run.json stages[${index}] is not an object; skipped.`);
    return [];
  }
  const s = raw as Record<string, unknown>;
  const status =
    typeof s.status === 'string' && STAGE_STATUSES.includes(s.status) ? (s.status as StageStatus) : 'unknown';
  return [
    {
      id: typeof s.id === 'string' ? s.id : `stage ${index + 1}`,
      type: typeof s.type === 'string' ? s.type : 'unknown',
      status,
      started: typeof s.started === 'string' ? s.started : null,
      finished: typeof s.finished === 'string' ? s.finished : null,
      summary: typeof s.summary === 'object' && s.summary !== null ? (s.summary as Record<string, unknown>) : {},
    },
  ];
}

function normalizeError(raw: unknown): EngineErrorInfo | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const e = raw as Record<string, unknown>;
  return {
    kind: (typeof e.kind === 'string' ? e.kind : 'RunFolderError') as EngineErrorInfo['kind'],
    message: typeof e.message === 'string' ? e.message : 'The run failed (run.json gives no message).',
    hint: typeof e.hint === 'string' ? e.hint : undefined,
  };
}

/** A folder under the runs directory that could not be read (shown as such, never hidden). */
export interface UnreadableRun {
  dir: string;
  error: Error;
}

/**
 * How deep below each search root run folders are found. A run is a folder holding run.json; the engine
 * makes <runs directory>/<name>/, two levels below a workspace folder with the default `runs`, and the demo
 * makes runs/demo/<variant>/, three levels below. A root may itself be a run folder (depth 0).
 */
export const RUN_SEARCH_DEPTH = 3;

/** Never entered: tooling folders, and the insides of a run (a run holds no other runs). Hidden folders neither. */
const NOT_SEARCHED = new Set(['node_modules', 'checkpoints', 'cams', 'masks', 'events']);

/**
 * Where every view looks for runs: the runs directory (which may lie outside the workspace), the workspace
 * folders, and the folders of the setting wsss.runSearchFolders (`extra`).
 */
export function runSearchRoots(
  runsDirectory: string | undefined,
  workspaceFolders: readonly string[],
  extra: readonly string[] = [],
): string[] {
  const all = [...(runsDirectory ? [runsDirectory] : []), ...workspaceFolders, ...extra];
  return [...new Set(all.map((r) => path.resolve(r)))];
}

/**
 * Every run folder (a folder holding run.json) at most `maxDepth` levels below the roots (a root may itself be
 * one), sorted, each once. A missing root is skipped; one that cannot be listed otherwise is an error.
 * `marker` 'experiment.json' finds experiment folders instead (extension/experiments/experimentFolder.ts).
 */
export async function findRunFolders(
  roots: readonly string[],
  maxDepth = RUN_SEARCH_DEPTH,
  marker = 'run.json',
): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (depth === 0 && code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === marker)) {
      found.add(dir);
      return;
    }
    if (depth >= maxDepth) return;
    await Promise.all(
      entries
        .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SEARCHED.has(e.name))
        .map((e) => visit(path.join(dir, e.name), depth + 1)),
    );
  };
  await Promise.all(roots.map((root) => visit(path.resolve(root), 0)));
  return [...found].sort();
}

/** Every run folder under `roots` (findRunFolders), read, newest first; those that cannot be read apart. */
export async function listRunFolders(
  roots: readonly string[],
): Promise<{ runs: RunFolderInfo[]; unreadable: UnreadableRun[] }> {
  const runs: RunFolderInfo[] = [];
  const unreadable: UnreadableRun[] = [];
  await Promise.all(
    (await findRunFolders(roots)).map(async (dir) => {
      try {
        runs.push(await readRunFolder(dir));
      } catch (error) {
        unreadable.push({ dir, error: error as Error });
      }
    }),
  );
  const key = (r: RunFolderInfo) => r.record.created ?? r.record.updated ?? '';
  runs.sort((a, b) => key(b).localeCompare(key(a)) || a.dir.localeCompare(b.dir));
  unreadable.sort((a, b) => a.dir.localeCompare(b.dir));
  return { runs, unreadable };
}

/** When a run started, as "YYYY-MM-DD HH:MM" of run.json's own clock (UTC as the engine writes it); null if unknown. */
export function runStartText(record: Pick<RunRecord, 'created'>): string | null {
  return record.created && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(record.created)
    ? record.created.slice(0, 16).replace('T', ' ')
    : null;
}

/**
 * The one label of each run in every view (tree, pickers, report, bank editor): its name, and where two runs
 * share a name, " · " and its start time, else its short id, else (a copied folder) its parent/folder.
 */
export function runLabels(runs: readonly Pick<RunFolderInfo, 'dir' | 'record'>[]): Map<string, string> {
  const tiers: ((r: Pick<RunFolderInfo, 'dir' | 'record'>) => string)[] = [
    (r) => r.record.name,
    (r) => `${r.record.name} · ${runStartText(r.record) ?? '?'}`,
    (r) => `${r.record.name} · ${r.record.id.slice(0, 6)}`,
    (r) => `${r.record.name} · ${path.basename(path.dirname(r.dir))}/${path.basename(r.dir)}`,
  ];
  const counts = tiers.map((tier) =>
    runs.map(tier).reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>()),
  );
  return new Map(
    runs.map((r) => {
      const i = tiers.findIndex((tier, t) => counts[t].get(tier(r)) === 1);
      return [r.dir, tiers[i < 0 ? tiers.length - 1 : i](r)];
    }),
  );
}

/** The run's config.json as the engine saved it (defaults filled), or null when missing or unreadable. */
export async function readRunConfig(runDir: string): Promise<Record<string, unknown> | null> {
  const value: unknown = await fs
    .readFile(path.join(runDir, 'config.json'), 'utf8')
    .then(JSON.parse)
    .catch(() => null);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * The folder a run's config.json's relative paths resolve against, as the engine's runs/portable_paths.py
 * stored_config_base: the run folder (run.json "configBase": "run", or no configPath), else (runs written before
 * configBase) the folder of run.json's configPath. docs/ARCHITECTURE.md "Run folder".
 */
export async function runConfigBase(runDir: string): Promise<string> {
  const record: unknown = await fs
    .readFile(path.join(runDir, 'run.json'), 'utf8')
    .then(JSON.parse)
    .catch(() => null);
  const { configBase, configPath } = (typeof record === 'object' && record !== null ? record : {}) as {
    configBase?: unknown;
    configPath?: unknown;
  };
  if (configBase === 'run' || typeof configPath !== 'string' || !configPath) return runDir;
  return path.dirname(path.resolve(runDir, configPath));
}

/** A path the run's config.json stores, made absolute against runConfigBase. */
export async function resolveRunConfigPath(runDir: string, stored: string): Promise<string> {
  return path.resolve(await runConfigBase(runDir), stored);
}

/** The VOC root a run's config.json names (dataset.root against runConfigBase, by vocLayout.findConfigRoot). */
export async function runDatasetRoot(runDir: string, config?: Record<string, unknown> | null): Promise<string | null> {
  const dataset = ((config === undefined ? await readRunConfig(runDir) : config)?.dataset ?? {}) as { root?: unknown };
  return typeof dataset.root === 'string' ? findConfigRoot(dataset.root, await runConfigBase(runDir)) : null;
}

/** An evaluation report, reports/<stage-id>.json (METHOD §6). */
export interface EvaluationReport {
  synthetic: boolean;
  split: string;
  n_images: number;
  classes: string[];
  threshold: number;
  miou: number;
  per_class_iou: number[];
  sweep: { threshold: number; miou: number }[];
  best: { threshold: number; miou: number };
  /** Reports of label maps name the stage evaluated; CAM reports have none or type infer_cams. */
  source?: { stage?: string; type?: string };
}

/** Reads every reports/*.json of a run: stage id -> report. Unreadable reports come back as errors. */
export async function readReports(runDir: string): Promise<Map<string, EvaluationReport | RunFolderReadError>> {
  const dir = path.join(runDir, 'reports');
  const out = new Map<string, EvaluationReport | RunFolderReadError>();
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const report = JSON.parse(await fs.readFile(file, 'utf8')) as EvaluationReport;
      if (typeof report.miou !== 'number') throw new Error('it has no numeric "miou"');
      out.set(name.slice(0, -'.json'.length), report);
    } catch (error) {
      out.set(name.slice(0, -'.json'.length), new RunFolderReadError(file, (error as Error).message));
    }
  }
  return out;
}

/** A label-map folder of a run, <run>/masks/<stage-id>/<image_id>.png, and the stage that wrote it. */
export interface MaskSet {
  stage: string;
  /** The stage's type from run.json (ir_labels, random_walk, infer_segmenter...), or null when not listed. */
  type: string | null;
  status: StageStatus | 'unknown';
}

/** The masks/ sub-folders of a run, in run.json stage order (folders run.json does not list come last). */
export async function listMaskSets(runDir: string, record?: RunRecord): Promise<MaskSet[]> {
  const entries = await fs.readdir(path.join(runDir, 'masks'), { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const stages =
    record?.stages ??
    (await readRunFolder(runDir).then(
      (f) => f.record.stages,
      () => [],
    ));
  const order = (id: string): number => {
    const i = stages.findIndex((s) => s.id === id);
    return i < 0 ? stages.length : i;
  };
  return dirs
    .sort((a, b) => order(a) - order(b))
    .map((stage) => {
      const s = stages.find((x) => x.id === stage);
      return { stage, type: s?.type ?? null, status: s?.status ?? 'unknown' };
    });
}

/** The label PNG of one image in a mask set (it may not exist). */
export function maskFileOf(runDir: string, stage: string, id: string): string {
  return path.join(runDir, 'masks', stage, `${id}.png`);
}

/** A new run's folder: <runsDirectory>/<config name>-<UTC date-time>. */
export function runDirFor(configPath: string, runsDirectory: string, now = new Date()): string {
  const base =
    path
      .basename(configPath)
      .replace(/\.wsss-run\.json$|\.json$/i, '')
      .replace(/[^\w.-]+/g, '-') || 'run';
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  return path.join(runsDirectory, `${base}-${stamp}`);
}
