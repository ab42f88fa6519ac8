/**
 * Which run folder gives the CAM previews, and which image a hovered word names. The run: the setting
 * `wsss.previewRun` when set, else the most recently exported completed run (export/cam_model.onnx, the
 * `export_onnx` stage) among those found under the runs directory and the workspace folders (runFolder.ts
 * findRunFolders, the runs tree's search). An image: a path to a .jpg/.jpeg/.png (absolute, or relative to
 * the document's folder or a workspace folder), or an image id of the run's dataset (<root>/JPEGImages/<id>.jpg,
 * dataset/vocLayout.ts). Reads folders directly; no `vscode` import.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { IMAGE_EXTENSIONS, IMAGES_DIR, imageFileOf } from '../dataset/vocLayout';
import { listRunFolders, runDatasetRoot, runSearchRoots } from '../runs/runFolder';
import { EXPORT_ONNX } from './camModel';

/** Where the previews come from. */
export interface PreviewSource {
  /** The run with the model; null when no run has one (`problem` says why). */
  runDir: string | null;
  runName: string | null;
  /** The dataset root of the run's config (JPEGImages/ inside), for image ids; null when unknown. */
  datasetRoot: string | null;
  /** Why there is no usable model (no runs, no export): shown in place of a preview. */
  problem: string | null;
}

export interface PreviewSettings {
  /** Absolute runs directory (wsss.runsDirectory). */
  runsDirectory?: string;
  /** wsss.previewRun: a run folder (absolute, or relative to the runs directory / first workspace folder). */
  previewRun?: string;
  workspaceFolders: string[];
  /** wsss.runSearchFolders, absolute. */
  runSearchFolders?: string[];
}

const exists = async (file: string): Promise<boolean> => (await fs.stat(file).catch(() => null))?.isFile() ?? false;

async function exportTime(runDir: string): Promise<number | null> {
  return (await fs.stat(path.join(runDir, EXPORT_ONNX)).catch(() => null))?.mtimeMs ?? null;
}

/** The preview run for these settings (see the file comment). */
export async function findPreviewSource(settings: PreviewSettings): Promise<PreviewSource> {
  const none = (problem: string, runDir: string | null = null): PreviewSource => ({
    runDir: null,
    runName: runDir ? path.basename(runDir) : null,
    datasetRoot: null,
    problem,
  });
  if (settings.previewRun) {
    const bases = [settings.runsDirectory, settings.workspaceFolders[0]].filter((b): b is string => !!b);
    const candidates = path.isAbsolute(settings.previewRun)
      ? [settings.previewRun]
      : bases.map((b) => path.resolve(b, settings.previewRun!));
    for (const dir of candidates) {
      if (!(await exists(path.join(dir, 'run.json')))) continue;
      return withDataset(dir, (await exportTime(dir)) === null ? missingExport(dir) : null);
    }
    return none(
      `The setting wsss.previewRun names ${settings.previewRun}, which is not a run folder (no run.json): fix the setting or clear it to use the latest exported run.`,
    );
  }
  const roots = runSearchRoots(settings.runsDirectory, settings.workspaceFolders, settings.runSearchFolders);
  if (roots.length === 0)
    return none(
      'No runs directory (setting wsss.runsDirectory) and no workspace folder: open a workspace holding runs.',
    );
  const searched = roots.join(', ');
  const { runs } = await listRunFolders(roots).catch(() => ({ runs: [] }));
  const completed = runs.filter((r) => r.record.status === 'completed');
  let best: { dir: string; time: number } | null = null;
  for (const run of completed) {
    const time = await exportTime(run.dir);
    if (time !== null && (!best || time > best.time)) best = { dir: run.dir, time };
  }
  if (best) return withDataset(best.dir, null);
  if (completed.length) {
    return withDataset(
      completed[0].dir,
      `No completed run under ${searched} has an exported model; the latest, ${path.basename(completed[0].dir)}, has no ${EXPORT_ONNX}: run an export_onnx stage (or set wsss.previewRun).`,
    );
  }
  return none(`No completed run under ${searched}: CAM previews need a run whose export_onnx stage has run.`);
}

function missingExport(runDir: string): string {
  return `Run ${path.basename(runDir)} (${runDir}) has no exported model ${path.join(runDir, EXPORT_ONNX)}: run its export_onnx stage to make CAM previews.`;
}

async function withDataset(runDir: string, problem: string | null): Promise<PreviewSource> {
  return {
    runDir: problem ? null : runDir,
    runName: path.basename(runDir),
    datasetRoot: await runDatasetRoot(runDir),
    problem,
  };
}

/** Characters of a hovered image id or path. */
export const IMAGE_TOKEN = /[\w~.\-/\\:]+/;
const ID = /^[\w][\w.-]{0,120}$/;

/** The image file a hovered word names, or undefined when it names none. */
export async function resolveImageToken(
  token: string,
  datasetRoot: string | null,
  documentDir: string | undefined,
  workspaceFolders: string[],
): Promise<string | undefined> {
  const word = token.replace(/^[.:]+|[.,:]+$/g, '');
  if (!word) return undefined;
  if (IMAGE_EXTENSIONS.includes(path.extname(word).toLowerCase())) {
    const bases = [documentDir, ...workspaceFolders].filter((b): b is string => !!b);
    const candidates = path.isAbsolute(word) ? [word] : bases.map((b) => path.resolve(b, word));
    if (datasetRoot) candidates.push(path.join(datasetRoot, IMAGES_DIR, path.basename(word)));
    for (const file of candidates) if (await exists(file)) return file;
    return undefined;
  }
  if (!datasetRoot || !ID.test(word)) return undefined;
  return (await imageFileOf(datasetRoot, word)) ?? undefined;
}
