/**
 * What the CAM panel knows about a run folder: its CAM sets (cams/<stage-id>/), its dataset (config.json),
 * its class names, how its CLIMS stage chose prompts, and the per-image words of POLE's selection
 * (selection/prompt_selection.json, METHOD §2.2). Reads the folder directly (extension/runs/runFolder.ts).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VOC_CLASSES } from '../../../common/classes';
import type { CamRunInfo } from '../../../protocol/webview/cam';
import { parseClassNames, readRootClasses } from '../../dataset/vocLayout';
import { RUN_FORMAT_VERSION, readRunConfig, readRunFolder, runDatasetRoot } from '../../runs/runFolder';

/** A run as the panel uses it: the public info plus class names and a lazily read selection. */
export interface CamRun extends CamRunInfo {
  classes: string[];
  /** id -> class name -> chosen word; loaded on first use (the file can be large). */
  selection?: Promise<WordTable | null>;
  /** The same per CAM set: selection/<set>.json, written by a clip_cams stage (METHOD §10.3), or null. */
  setWords?: Map<string, Promise<WordTable | null>>;
}

type WordTable = Record<string, Record<string, { word?: string }>>;

function readWordTable(file: string): Promise<WordTable | null> {
  return readJson(file)
    .then((s) => ((s as { images?: unknown }).images ?? null) as WordTable | null)
    .catch(() => null);
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

export async function readCamRun(runDir: string): Promise<CamRun> {
  const info: CamRun = {
    runDir,
    name: path.basename(runDir),
    status: 'unknown',
    synthetic: false,
    sets: [],
    prompt: null,
    datasetRoot: null,
    problem: null,
    warnings: [],
    classes: [...VOC_CLASSES],
  };
  try {
    const folder = await readRunFolder(runDir);
    Object.assign(info, {
      name: folder.record.name,
      status: folder.record.status,
      synthetic: folder.record.synthetic,
      warnings: folder.warnings,
    });
    if (folder.record.formatVersion > RUN_FORMAT_VERSION)
      info.warnings.push('Written by a newer engine: some fields may not show.');
  } catch (e) {
    info.problem = `${(e as Error).message}.`;
    return info;
  }
  const config = await readRunConfig(runDir);
  if (!config) info.warnings.push(`No readable config.json in ${runDir}: photos and class names cannot be found.`);
  const dataset = (config?.dataset ?? {}) as { root?: unknown; classes?: unknown };
  info.datasetRoot = await runDatasetRoot(runDir, config);
  if (config && !info.datasetRoot)
    info.warnings.push(
      `The dataset root ${String(dataset.root)} of config.json was not found: CAMs show without photos.`,
    );
  info.classes = await classNames(dataset.classes, info.datasetRoot);
  const stages = Array.isArray(config?.stages) ? (config!.stages as Record<string, unknown>[]) : [];
  const clims = stages.filter((s) => s.type === 'train_clims').pop();
  info.prompt = clims ? String(clims.prompt ?? 'gt') : null;
  const camsDir = path.join(runDir, 'cams');
  const entries = await fs.readdir(camsDir, { withFileTypes: true }).catch(() => null);
  info.sets = (entries ?? [])
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (!entries)
    info.problem = `This run has no cams/ folder: it has not run an infer_cams stage yet${info.status === 'running' ? ' (it is still running)' : ''}.`;
  else if (!info.sets.length) info.problem = "This run's cams/ folder is empty.";
  else if (info.warnings.some((w) => /older engine/.test(w)))
    info.warnings.push('This run is from an older engine; CAM files are checked one by one.');
  return info;
}

/** The config's dataset.classes (a list, or 'voc'), else the root's classes.json, else VOC's 20. */
async function classNames(spec: unknown, root: string | null): Promise<string[]> {
  const listed = Array.isArray(spec) ? parseClassNames(spec, 'config.json dataset.classes') : null;
  if (listed && !(listed instanceof Error)) return listed;
  const fromRoot = spec !== 'voc' && root ? await readRootClasses(root) : null;
  return fromRoot && !(fromRoot instanceof Error) ? fromRoot.names : [...VOC_CLASSES];
}

/** The word a CAM of (image, class) was made with: a training-free set's own word table
 * (selection/<set>.json of a clip_cams stage with selected or fused words), else the word POLE chose for the
 * run's CLIMS training; null when the CAM used the class name. */
export async function selectedWord(run: CamRun, id: string, className: string, set?: string): Promise<string | null> {
  if (set) {
    run.setWords ??= new Map();
    if (!run.setWords.has(set)) run.setWords.set(set, readWordTable(path.join(run.runDir, 'selection', `${set}.json`)));
    const own = (await run.setWords.get(set))?.[id]?.[className]?.word;
    if (own) return own;
  }
  if (run.prompt !== 'selected' && run.prompt !== 'online') return null;
  run.selection ??= readWordTable(path.join(run.runDir, 'selection', 'prompt_selection.json'));
  const images = await run.selection;
  return images?.[id]?.[className]?.word ?? null;
}
