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
import {
  RUN_FORMAT_VERSION,
  readRunConfig,
  readRunFolder,
  resolveRunConfigPath,
  runDatasetRoot,
  type RunRecord,
} from '../../runs/runFolder';

/** A run as the panel uses it: the public info plus class names and a lazily read selection. */
export interface CamRun extends CamRunInfo {
  classes: string[];
  /** The prompt_selection.json the CLIMS stage read (prompt "selected"), null when none. */
  selectionFile: string | null;
  /** id -> class name -> chosen word; loaded on first use (the file can be large). */
  selection?: Promise<WordTable | null>;
  /** The same per CAM set: selection/<set>.json, written by a clip_cams stage (METHOD §10.3), or null. */
  setWords?: Map<string, Promise<WordTable | null>>;
  /** run.json as read (null when unreadable): the panel labels runs of one name apart with runFolder.ts runLabels. */
  record: RunRecord | null;
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
    setPrompts: {},
    classes: [...VOC_CLASSES],
    selectionFile: null,
    record: null,
  };
  try {
    const folder = await readRunFolder(runDir);
    Object.assign(info, {
      name: folder.record.name,
      status: folder.record.status,
      synthetic: folder.record.synthetic,
      warnings: folder.warnings,
      record: folder.record,
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
  info.selectionFile = await selectionFileOf(runDir, clims);
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
  info.setPrompts = Object.fromEntries(info.sets.map((set) => [set, promptOfSet(stages, set, info.prompt)]));
  return info;
}

/** The config's dataset.classes (a list, or 'voc'), else the root's classes.json, else VOC's 20. */
async function classNames(spec: unknown, root: string | null): Promise<string[]> {
  const listed = Array.isArray(spec) ? parseClassNames(spec, 'config.json dataset.classes') : null;
  if (listed && !(listed instanceof Error)) return listed;
  const fromRoot = spec !== 'voc' && root ? await readRootClasses(root) : null;
  return fromRoot && !(fromRoot instanceof Error) ? fromRoot.names : [...VOC_CLASSES];
}

/**
 * How the CAMs of one set were prompted: the infer_cams stage `set` reads a model (`model`: a stage id); a
 * baseline_cam model had no prompt ('none'), a train_clims model its `prompt` mode ('gt' when unset). A
 * set whose stage is not in the config (renamed, older run) gets the run's last CLIMS mode.
 */
export function promptOfSet(stages: Record<string, unknown>[], set: string, fallback: string | null): string | null {
  const infer = stages.find((s) => s.id === set && s.type === 'infer_cams');
  const model = infer && stages.find((s) => s.id === infer.model);
  if (!model) return fallback;
  if (model.type === 'baseline_cam') return 'none';
  if (model.type === 'train_clims') return String(model.prompt ?? 'gt');
  return fallback;
}

/** The selection file of a CLIMS stage: its `selection` as a path, else the run's own selection/ file. */
async function selectionFileOf(runDir: string, clims: Record<string, unknown> | undefined): Promise<string | null> {
  if (!clims) return null;
  const sel = typeof clims.selection === 'string' ? clims.selection : '';
  if (/[/\\]|\.json$/i.test(sel)) return resolveRunConfigPath(runDir, sel);
  return path.join(runDir, 'selection', 'prompt_selection.json');
}

/** The word a CAM of (image, class) was made with: a training-free set's own word table
 * (selection/<set>.json of a clip_cams stage with selected or fused words), else the word POLE chose for a
 * set prompted `mode` ('selected' / 'online'); null when the CAM used the class name or no prompt. */
export async function selectedWord(
  run: CamRun,
  mode: string | null,
  id: string,
  className: string,
  set?: string,
): Promise<string | null> {
  if (set) {
    run.setWords ??= new Map();
    if (!run.setWords.has(set)) run.setWords.set(set, readWordTable(path.join(run.runDir, 'selection', `${set}.json`)));
    const own = (await run.setWords.get(set))?.[id]?.[className]?.word;
    if (own) return own;
  }
  if ((mode !== 'selected' && mode !== 'online') || !run.selectionFile) return null;
  run.selection ??= readWordTable(run.selectionFile);
  const images = await run.selection;
  return images?.[id]?.[className]?.word ?? null;
}
