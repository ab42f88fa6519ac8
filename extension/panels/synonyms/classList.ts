// The classes a synonym bank is checked against: a dataset's classes.json (read by extension/dataset/vocLayout.ts,
// as engine/wsss_engine/data/layout.py reads it) found beside the bank or one folder up, else PASCAL VOC's 20
// object classes (METHOD §6 order). No `vscode` import.
import { dirname, join } from 'node:path';
import { VOC_CLASSES } from '../../../common/classes';
import { readClassNames } from '../../dataset/vocLayout';
import type { ClassList } from './bankDiagnostics';

export const VOC_CLASS_LIST: ClassList = { names: [...VOC_CLASSES], source: 'the 20 PASCAL VOC classes' };

/** The class list for the bank at `bankPath`, with a note when a classes.json was present but unreadable. */
export async function classListFor(bankPath: string): Promise<{ list: ClassList; warning: string | null }> {
  const classes = await readClassNames([
    join(dirname(bankPath), 'classes.json'),
    join(dirname(dirname(bankPath)), 'classes.json'),
  ]);
  if (classes instanceof Error)
    return { list: VOC_CLASS_LIST, warning: `${classes.message} Checking against VOC instead.` };
  return { list: classes.file ? { names: classes.names, source: classes.file } : VOC_CLASS_LIST, warning: null };
}
