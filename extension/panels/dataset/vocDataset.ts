/**
 * Reads a VOC-layout root for the dataset browser: the real VOCdevkit/VOC2012 (+ SBD's SegmentationClassAug),
 * the shared photos, the synthetic world. Mirrors engine/wsss_engine/data/layout.py and labels.py, but never
 * throws for partial problems: the browser shows what it can and lists the rest as warnings.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VOC_CLASSES, canonicalName } from '../../../common/classes';
import type { DatasetProblem, DatasetSnapshot } from '../../../protocol/webview/dataset';
import { IMAGE_EXTENSIONS, IMAGES_DIR, MASK_DIRS, findVocRoot, readRootClasses } from '../../dataset/vocLayout';

const LABEL_FILES = ['labels.json', 'image_labels.json'];
const EXPECTED_LAYOUT =
  'A VOC-layout folder has JPEGImages/<id>.jpg, optionally SegmentationClass/<id>.png masks, ' +
  'ImageSets/Segmentation/<list>.txt lists and labels.json ({id: [class names]}).';

/** A dataset root that could not be opened. */
export class DatasetRootError extends Error {
  constructor(readonly problem: DatasetProblem) {
    super(problem.message);
  }
}

/** An opened root: what the snapshot shows plus where each file is. */
export interface OpenDataset extends DatasetSnapshot {
  root: string;
  /** id -> image file name in JPEGImages/. */
  imageFiles: Map<string, string>;
  /** id -> absolute mask path. */
  maskFiles: Map<string, string>;
}

/** The folder holding JPEGImages/ ('VOCdevkit' resolves to 'VOCdevkit/VOC2012'). */
export async function resolveRoot(root: string): Promise<string> {
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory()) {
    throw new DatasetRootError({
      message: `Dataset root ${root} does not exist or is not a folder.`,
      hint: EXPECTED_LAYOUT,
      path: root,
    });
  }
  const found = await findVocRoot(root);
  if (found) return found;
  throw new DatasetRootError({
    message: `${root} is not a VOC-layout dataset: it has no JPEGImages/ folder.`,
    hint: EXPECTED_LAYOUT,
    path: root,
  });
}

/** Open a root and one of its lists ('all' or unknown names fall back to every image in JPEGImages/). */
export async function openDataset(rootArg: string, setArg?: string): Promise<OpenDataset> {
  const root = await resolveRoot(path.resolve(rootArg));
  const warnings: DatasetProblem[] = [];
  const [imageFiles, maskFiles, classes, sets] = await Promise.all([
    listImages(root),
    listMasks(root),
    readClasses(root, warnings),
    listSets(root),
  ]);
  const set = setArg && sets.includes(setArg) ? setArg : defaultSet(sets);
  const ids = set === 'all' ? [...imageFiles.keys()].sort() : await readIdList(root, set);
  const { labels, source } = await readLabels(root, ids, classes, warnings);
  const hasImage = ids.map((id) => (imageFiles.has(id) ? 1 : 0));
  const hasMask = ids.map((id) => (maskFiles.has(id) ? 1 : 0));
  const missingImages = hasImage.length - hasImage.reduce((a: number, b) => a + b, 0);
  if (missingImages > 0) {
    const first = ids[hasImage.indexOf(0)];
    warnings.push({
      message: `${missingImages} image(s) of list '${set}' are missing, e.g. JPEGImages/${first}.jpg.`,
      hint: 'Restore the images or fix the list; the other images are shown.',
      path: path.join(root, 'JPEGImages'),
    });
  }
  if (maskFiles.size === 0) {
    warnings.push({
      message: `No ground-truth masks in ${root} (looked in ${MASK_DIRS.join(', ')}).`,
      hint: 'Mask overlays are unavailable; browsing and class filters still work.',
    });
  }
  return {
    root,
    problem: null,
    warnings,
    classes,
    sets,
    set,
    ids,
    labels,
    hasMask,
    hasImage,
    labelSource: source,
    synthetic: await isSynthetic(root),
    imageFiles,
    maskFiles,
  };
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;
}

async function listImages(root: string): Promise<Map<string, string>> {
  const files = await fs.readdir(path.join(root, IMAGES_DIR));
  const out = new Map<string, string>();
  for (const f of files) {
    const ext = path.extname(f).toLowerCase();
    if (IMAGE_EXTENSIONS.includes(ext)) out.set(f.slice(0, -ext.length), f);
  }
  return out;
}

/** id -> mask path: SegmentationClass first (VOC's own), then SBD's SegmentationClassAug. */
async function listMasks(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const dir of MASK_DIRS) {
    const files = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
    for (const f of files) {
      if (!f.toLowerCase().endsWith('.png')) continue;
      const id = f.slice(0, -4);
      if (!out.has(id)) out.set(id, path.join(root, dir, f));
    }
  }
  return out;
}

async function readClasses(root: string, warnings: DatasetProblem[]): Promise<string[]> {
  const classes = await readRootClasses(root);
  if (!(classes instanceof Error)) return classes.names;
  const file = path.join(root, 'classes.json');
  warnings.push({
    message: `Cannot use ${file}: ${classes.message} Showing VOC's 20 classes.`,
    hint: 'classes.json must be a JSON list of class names (no background).',
    path: file,
  });
  return [...VOC_CLASSES];
}

async function listSets(root: string): Promise<string[]> {
  const dir = path.join(root, 'ImageSets', 'Segmentation');
  const lists = (await fs.readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4));
  return [...lists.sort(), 'all'];
}

/** train_aug is what WSSS trains on; then train; else the first list; 'all' when there are none. */
function defaultSet(sets: string[]): string {
  return ['train_aug', 'train'].find((s) => sets.includes(s)) ?? sets[0];
}

/** Ids of a list file; lines may be SBD-style "/JPEGImages/<id>.jpg /SegmentationClassAug/<id>.png". */
export async function readIdList(root: string, set: string): Promise<string[]> {
  const file = path.join(root, 'ImageSets', 'Segmentation', `${set}.txt`);
  const text = await fs.readFile(file, 'utf8').catch((e: Error) => {
    throw new DatasetRootError({
      message: `Cannot read image list ${file}: ${e.message}`,
      hint: 'Choose another list, or "all".',
      path: file,
    });
  });
  return text
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((l) => l.length > 0)
    .map((l) => path.basename(l).replace(/\.[^.]+$/, ''));
}

async function readLabels(
  root: string,
  ids: string[],
  classes: string[],
  warnings: DatasetProblem[],
): Promise<{ labels: number[][]; source: string }> {
  const index = new Map(classes.map((c, i) => [canonicalName(c), i]));
  for (const name of LABEL_FILES) {
    const file = path.join(root, name);
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text);
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
    } catch (e) {
      warnings.push({
        message: `Cannot read image labels ${file}: ${(e as Error).message}.`,
        hint: 'labels.json must map image id -> list of class names.',
        path: file,
      });
      break;
    }
    const unknown = new Set<string>();
    let missing = 0;
    const labels = ids.map((id) => {
      const names = data[id];
      if (!Array.isArray(names)) {
        missing++;
        return [];
      }
      return namesToIndices(names, index, unknown);
    });
    if (missing)
      warnings.push({
        message: `${missing} image(s) of the list have no labels in ${file}.`,
        hint: 'They show no classes and match no class filter.',
        path: file,
      });
    if (unknown.size)
      warnings.push({
        message: `Labels name classes not in the class list: ${[...unknown].slice(0, 5).join(', ')}.`,
        hint: 'Add a classes.json to the root, or fix the labels.',
        path: file,
      });
    return { labels, source: file };
  }
  if (await isDir(path.join(root, 'Annotations')))
    return { labels: await labelsFromXml(root, ids, index), source: 'Annotations' };
  warnings.push({
    message: 'No image labels: no labels.json, image_labels.json or Annotations/ in the root.',
    hint: 'Class filters need labels.json ({id: [class names]}).',
  });
  return { labels: ids.map(() => []), source: 'none' };
}

function namesToIndices(names: unknown[], index: Map<string, number>, unknown: Set<string>): number[] {
  const out = new Set<number>();
  for (const n of names) {
    const i = index.get(canonicalName(String(n)));
    if (i === undefined) unknown.add(String(n));
    else out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** VOC XML: the <name> of every <object> (part names such as 'head' are not classes and are skipped). */
async function labelsFromXml(root: string, ids: string[], index: Map<string, number>): Promise<number[][]> {
  const ignored = new Set<string>();
  const out: number[][] = new Array(ids.length);
  const batch = 64;
  for (let s = 0; s < ids.length; s += batch) {
    await Promise.all(
      ids.slice(s, s + batch).map(async (id, k) => {
        const xml = await fs.readFile(path.join(root, 'Annotations', `${id}.xml`), 'utf8').catch(() => '');
        const names = [...xml.matchAll(/<object>\s*<name>([^<]+)<\/name>/g)].map((m) => m[1].trim());
        out[s + k] = namesToIndices(names, index, ignored);
      }),
    );
  }
  return out;
}

/** The synthetic world marks itself with world.json or a "synthetic" flag in classes.json / README. */
async function isSynthetic(root: string): Promise<boolean> {
  if (await fs.stat(path.join(root, 'world.json')).catch(() => null)) return true;
  const classes = await fs.readFile(path.join(root, 'classes.json'), 'utf8').catch(() => '');
  return /"synthetic"\s*:\s*true/.test(classes);
}
