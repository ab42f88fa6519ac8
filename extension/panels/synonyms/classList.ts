// The classes a synonym bank is checked against: a dataset's classes.json (a JSON list of class names
// without background, or {"classes": [...]}, as engine/wsss_engine/data/layout.py reads it) found beside
// the bank or one folder up, else PASCAL VOC's 20 object classes (METHOD §6 order). No `vscode` import.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VOC_CLASSES } from '../../../common/classes';
import type { ClassList } from './bankDiagnostics';

export const VOC_CLASS_LIST: ClassList = { names: [...VOC_CLASSES], source: 'the 20 PASCAL VOC classes' };

const BACKGROUND_NAMES = new Set(['background', '_background_', '__background__']);

/** Names from a classes.json value, or an Error saying what shape was expected. */
export function parseClassesJson(value: unknown, path: string): string[] | Error {
  const list = Array.isArray(value) ? value : (value as { classes?: unknown } | null)?.classes;
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
    return new Error(`${path} must be a JSON list of class names (or {"classes": [...]}).`);
  }
  return list.filter((c) => !BACKGROUND_NAMES.has(c.toLowerCase()));
}

/** The class list for the bank at `bankPath`, with a note when a classes.json was present but unreadable. */
export async function classListFor(bankPath: string): Promise<{ list: ClassList; warning: string | null }> {
  const candidates = [join(dirname(bankPath), 'classes.json'), join(dirname(dirname(bankPath)), 'classes.json')];
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    let names: string[] | Error;
    try {
      names = parseClassesJson(JSON.parse(text), path);
    } catch (e) {
      names = new Error(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    if (names instanceof Error) return { list: VOC_CLASS_LIST, warning: `${names.message} Checking against VOC instead.` };
    return { list: { names, source: path }, warning: null };
  }
  return { list: VOC_CLASS_LIST, warning: null };
}
