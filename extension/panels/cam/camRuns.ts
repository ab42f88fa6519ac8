/**
 * What the CAM panel knows about a run folder: its CAM sets (cams/<stage-id>/), its dataset (config.json),
 * its class names, how its CLIMS stage chose prompts, and the per-image words of POLE's selection
 * (selection/prompt_selection.json, METHOD §2.2). Reads the folder directly (extension/runs/runFolder.ts).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VOC_CLASSES, canonicalName } from '../../../common/classes';
import type { CamRunInfo } from '../../../protocol/webview/cam';
import { RUN_FORMAT_VERSION, readRunFolder } from '../../runs/runFolder';

/** A run as the panel uses it: the public info plus class names and a lazily read selection. */
export interface CamRun extends CamRunInfo {
  classes: string[];
  /** id -> class name -> chosen word; loaded on first use (the file can be large). */
  selection?: Promise<Record<string, Record<string, { word?: string }>> | null>;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

export async function readCamRun(runDir: string): Promise<CamRun> {
  const info: CamRun = {
    runDir, name: path.basename(runDir), status: 'unknown', synthetic: false, sets: [], prompt: null,
    datasetRoot: null, problem: null, warnings: [], classes: [...VOC_CLASSES],
  };
  try {
    const folder = await readRunFolder(runDir);
    Object.assign(info, { name: folder.record.name, status: folder.record.status, synthetic: folder.record.synthetic, warnings: folder.warnings });
    if (folder.record.formatVersion > RUN_FORMAT_VERSION) info.warnings.push('Written by a newer engine: some fields may not show.');
  } catch (e) {
    info.problem = `${(e as Error).message}.`;
    return info;
  }
  const config = (await readJson(path.join(runDir, 'config.json')).catch(() => null)) as Record<string, unknown> | null;
  if (!config) info.warnings.push(`No readable config.json in ${runDir}: photos and class names cannot be found.`);
  const dataset = (config?.dataset ?? {}) as { root?: unknown; classes?: unknown };
  info.datasetRoot = typeof dataset.root === 'string' ? await findRoot(dataset.root, runDir) : null;
  if (config && !info.datasetRoot) info.warnings.push(`The dataset root ${String(dataset.root)} of config.json was not found: CAMs show without photos.`);
  info.classes = await classNames(dataset.classes, info.datasetRoot);
  const stages = Array.isArray(config?.stages) ? (config!.stages as Record<string, unknown>[]) : [];
  const clims = stages.filter((s) => s.type === 'train_clims').pop();
  info.prompt = clims ? String(clims.prompt ?? 'gt') : null;
  const camsDir = path.join(runDir, 'cams');
  const entries = await fs.readdir(camsDir, { withFileTypes: true }).catch(() => null);
  info.sets = (entries ?? []).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (!entries) info.problem = `This run has no cams/ folder: it has not run an infer_cams stage yet${info.status === 'running' ? ' (it is still running)' : ''}.`;
  else if (!info.sets.length) info.problem = 'This run\'s cams/ folder is empty.';
  else if (info.warnings.some((w) => /older engine/.test(w))) info.warnings.push('This run is from an older engine; CAM files are checked one by one.');
  return info;
}

/** The config's dataset root, absolute; relative roots are tried against the run folder and its parents. */
async function findRoot(root: string, runDir: string): Promise<string | null> {
  const candidates = path.isAbsolute(root) ? [root] : [runDir, path.dirname(runDir), path.dirname(path.dirname(runDir))].map((d) => path.resolve(d, root));
  for (const c of candidates) {
    for (const r of [c, path.join(c, 'VOC2012')]) {
      if ((await fs.stat(path.join(r, 'JPEGImages')).catch(() => null))?.isDirectory()) return r;
    }
  }
  return null;
}

async function classNames(spec: unknown, root: string | null): Promise<string[]> {
  if (Array.isArray(spec) && spec.every((c) => typeof c === 'string')) return dropBackground(spec);
  if (spec === 'voc') return [...VOC_CLASSES];
  const fromRoot = root ? await readJson(path.join(root, 'classes.json')).catch(() => null) : null;
  const list = Array.isArray(fromRoot) ? fromRoot : (fromRoot as { classes?: unknown } | null)?.classes;
  return Array.isArray(list) && list.every((c) => typeof c === 'string') ? dropBackground(list) : [...VOC_CLASSES];
}

function dropBackground(list: string[]): string[] {
  return list.length && canonicalName(list[0]) === 'background' ? list.slice(1) : list;
}

/** The word POLE chose for (image, class) in this run, or null when the run used GT names or has no selection. */
export async function selectedWord(run: CamRun, id: string, className: string): Promise<string | null> {
  if (run.prompt !== 'selected' && run.prompt !== 'online') return null;
  run.selection ??= readJson(path.join(run.runDir, 'selection', 'prompt_selection.json'))
    .then((s) => ((s as { images?: unknown }).images ?? null) as Record<string, Record<string, { word?: string }>> | null)
    .catch(() => null);
  const images = await run.selection;
  return images?.[id]?.[className]?.word ?? null;
}

/** Run folders (folders with run.json) at most two levels under each given folder. */
export async function findRunDirs(roots: string[]): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.isFile() && e.name === 'run.json')) {
      found.add(dir);
      return;
    }
    if (depth === 0) return;
    await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => visit(path.join(dir, e.name), depth - 1)));
  };
  await Promise.all(roots.map((r) => visit(r, 2)));
  return [...found].sort();
}
