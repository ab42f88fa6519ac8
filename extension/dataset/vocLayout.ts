/**
 * The one reader of the VOC dataset layout on the host side (mirrors engine/wsss_engine/data/layout.py):
 * which folder is a VOC root (it holds JPEGImages/; a VOCdevkit resolves to VOCdevkit/VOC2012), where a
 * run config's relative root lies, the class list of classes.json, and the photo file of an image id.
 * Used by the dataset browser, the CAM panel, the synonym-bank checks and the CAM previews. No `vscode` import.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VOC_CLASSES, canonicalName } from '../../common/classes';

/** The photos' folder inside a root. */
export const IMAGES_DIR = 'JPEGImages';
/** Photo extensions, in the order an image id is tried. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

const isDir = async (p: string): Promise<boolean> => (await fs.stat(p).catch(() => null))?.isDirectory() ?? false;

/** `dir` itself or its VOC2012/ when that holds JPEGImages/; null when neither is a VOC root. */
export async function findVocRoot(dir: string): Promise<string | null> {
  for (const root of [dir, path.join(dir, 'VOC2012')]) {
    if (await isDir(path.join(root, IMAGES_DIR))) return root;
  }
  return null;
}

/**
 * A run config's dataset.root as a VOC root: absolute as given; relative, tried against the run folder and
 * its two parents (a config saved in <workspace>/runs/<run>/ usually names a root relative to the workspace).
 */
export async function findConfigRoot(root: string, runDir: string): Promise<string | null> {
  const bases = path.isAbsolute(root)
    ? [root]
    : [runDir, path.dirname(runDir), path.dirname(path.dirname(runDir))].map((d) => path.resolve(d, root));
  for (const base of bases) {
    const found = await findVocRoot(base);
    if (found) return found;
  }
  return null;
}

/** The image file of `id` in a root (JPEGImages/<id>.jpg, .jpeg or .png), or null when there is none. */
export async function imageFileOf(root: string, id: string): Promise<string | null> {
  for (const ext of IMAGE_EXTENSIONS) {
    const file = path.join(root, IMAGES_DIR, `${id}${ext}`);
    if ((await fs.stat(file).catch(() => null))?.isFile()) return file;
  }
  return null;
}

/** Ground-truth mask folders, in the order an image's mask is looked for (SBD's SegmentationClassAug second). */
export const MASK_DIRS = ['SegmentationClass', 'SegmentationClassAug'];

/** The ground-truth mask PNG of `id` in a root, or null when there is none. */
export async function gtMaskFileOf(root: string, id: string): Promise<string | null> {
  for (const dir of MASK_DIRS) {
    const file = path.join(root, dir, `${id}.png`);
    if ((await fs.stat(file).catch(() => null))?.isFile()) return file;
  }
  return null;
}

/** A class list and where it came from. */
export interface ClassNames {
  names: string[];
  /** The classes.json read, or null for the VOC default. */
  file: string | null;
}

/**
 * The class names of a classes.json value: a JSON list, or {"classes": [...]}, as the engine reads it;
 * background entries ('background', '_background_', ...) are dropped. An Error says what was expected.
 */
export function parseClassNames(value: unknown, file: string): string[] | Error {
  const list = Array.isArray(value) ? value : (value as { classes?: unknown } | null)?.classes;
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
    return new Error(`${file} must be a JSON list of class names (or {"classes": [...]}).`);
  }
  const names = list.filter((c) => canonicalName(c) !== 'background');
  return names.length ? names : new Error(`${file} names no class.`);
}

/**
 * The classes of the first of `files` that exists: its names, or an Error when it exists but cannot be used
 * (bad JSON, wrong shape). None exists: the 20 PASCAL VOC classes.
 */
export async function readClassNames(files: string[]): Promise<ClassNames | Error> {
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return new Error(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const names = parseClassNames(value, file);
    return names instanceof Error ? names : { names, file };
  }
  return { names: [...VOC_CLASSES], file: null };
}

/** The classes of a VOC root (its classes.json, else VOC's 20). */
export function readRootClasses(root: string): Promise<ClassNames | Error> {
  return readClassNames([path.join(root, 'classes.json')]);
}
