// Experiment folders on disk (docs/EXPERIMENTS.md): <exp>/experiment.json (the plan and each run's status),
// <exp>/table.json (the aggregated table), the runs below <exp>/shared/ and <exp>/runs/. Read directly, no
// engine needed. No `vscode` import.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ExperimentState, ExperimentTable } from '../../protocol/experiments';
import type { ExperimentView } from '../../protocol/webview/report';
import { findRunFolders, readRunFolder } from '../runs/runFolder';

export const EXPERIMENT_FILE_SUFFIX = '.wsss-experiment.json';

/** An experiment folder, read; `units` statuses refreshed from each run's run.json. */
export interface ExperimentFolderInfo {
  dir: string;
  state: ExperimentState;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
}

/** experiment.json of `dir`, each unit's status taken from its run.json when that exists; throws when unreadable. */
export async function readExperimentFolder(dir: string): Promise<ExperimentFolderInfo> {
  const state = (await readJson(path.join(dir, 'experiment.json'))) as ExperimentState;
  if (!state || typeof state !== 'object' || !Array.isArray(state.units))
    throw new Error(`${path.join(dir, 'experiment.json')} is not an experiment state file`);
  await Promise.all(
    state.units.map(async (unit) => {
      try {
        const { record } = await readRunFolder(path.join(dir, unit.runDir));
        const status = record.status === 'created' || record.status === 'unknown' ? 'pending' : record.status;
        if (unit.status !== 'failed') unit.status = status;
        unit.runId = record.id ?? unit.runId;
      } catch {
        // not started yet: experiment.json's own status stands
      }
    }),
  );
  return { dir, state };
}

/** <exp>/table.json, or null when the experiment has not written it yet. */
export async function readExperimentTable(dir: string): Promise<ExperimentTable | null> {
  try {
    return (await readJson(path.join(dir, 'table.json'))) as ExperimentTable;
  } catch {
    return null;
  }
}

/** Every experiment folder under `roots` (the run search's walk and depth), read; unreadable ones skipped. */
export async function listExperimentFolders(roots: readonly string[]): Promise<ExperimentFolderInfo[]> {
  const dirs = await findRunFolders(roots, undefined, 'experiment.json');
  const read = await Promise.all(dirs.map((d) => readExperimentFolder(d).catch(() => undefined)));
  return read.filter((e): e is ExperimentFolderInfo => e !== undefined);
}

/** The experiment folder a run folder belongs to (<exp>/runs/<run> or <exp>/shared/<run>), if any. */
export async function experimentOfRun(runDir: string): Promise<string | undefined> {
  const exp = path.dirname(path.dirname(path.resolve(runDir)));
  const parent = path.basename(path.dirname(path.resolve(runDir)));
  if (parent !== 'runs' && parent !== 'shared') return undefined;
  try {
    await fs.access(path.join(exp, 'experiment.json'));
    return exp;
  } catch {
    return undefined;
  }
}

/** What the report panel shows of the experiment `runDir` belongs to; null when it belongs to none. */
export async function experimentViewOf(runDir: string): Promise<ExperimentView | null> {
  const dir = await experimentOfRun(runDir);
  if (!dir) return null;
  try {
    const { state } = await readExperimentFolder(dir);
    return { experimentDir: dir, name: state.name, status: state.status, table: await readExperimentTable(dir) };
  } catch {
    return null;
  }
}

/** Whether `runDir` lies inside one of the experiment folders `experiments`. */
export function insideExperiment(runDir: string, experiments: readonly string[]): boolean {
  const resolved = path.resolve(runDir);
  return experiments.some((e) => resolved.startsWith(path.resolve(e) + path.sep));
}

/** The default experiment folder of an experiment file: <runs directory or the file's folder>/<file stem>. */
export function experimentDirFor(experimentPath: string, runsDirectory: string | undefined): string {
  const name = path.basename(experimentPath);
  const stem = name.endsWith(EXPERIMENT_FILE_SUFFIX)
    ? name.slice(0, -EXPERIMENT_FILE_SUFFIX.length)
    : path.parse(name).name;
  return path.join(runsDirectory ?? path.dirname(experimentPath), stem);
}
