/**
 * Runs' label maps in the dataset browser (issue 8): which runs have masks/<stage>/ folders (IR labels,
 * random-walk pseudo masks, segmenter outputs; docs/ARCHITECTURE.md "Run folder"), and one image's map from
 * one of them, coloured for overlay and scored against the GT. Reads through extension/runs/runFolder.ts.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { kindOfStageType } from '../../../common/chain';
import type { RunMaskChoice, RunMaskDetail, RunMaskSource } from '../../../protocol/webview/dataset';
import {
  listMaskSets,
  listRunFolders,
  maskFileOf,
  readRunFolder,
  runLabels,
  runSearchRoots,
} from '../../runs/runFolder';
import type { PanelEnvironment } from '../panelHost';
import { labelMapIou, type ClassMask } from '../../../common/labelIou';
import { maskToPng, readClassMask } from './maskImage';

/** Every mask set of every run found (newest run first, stages in run order), runs labelled by runLabels. */
export async function listRunMaskSources(env: PanelEnvironment): Promise<RunMaskSource[]> {
  const { runs } = await listRunFolders(
    runSearchRoots(env.runsDirectory?.(), env.workspaceFolders, env.runSearchFolders?.()),
  );
  const labels = runLabels(runs);
  const out: RunMaskSource[] = [];
  for (const run of runs) {
    for (const set of await listMaskSets(run.dir, run.record)) {
      out.push({
        runDir: run.dir,
        runName: labels.get(run.dir) ?? run.record.name,
        synthetic: run.record.synthetic,
        stage: set.stage,
        type: set.type,
        kind: kindOfStageType(set.type ?? 'unknown'),
      });
    }
  }
  return out;
}

/**
 * The chosen run's map of `id`, over the photo, with its IoU against `gt` when given. `runName` is the run's
 * label from listRunMaskSources (so runs of one name stay apart); without it, run.json's name.
 */
export async function runMaskDetail(
  choice: RunMaskChoice,
  id: string,
  gt: ClassMask | null,
  runName?: string,
): Promise<RunMaskDetail> {
  const name =
    runName ??
    (await readRunFolder(choice.runDir).then(
      (f) => f.record.name,
      () => path.basename(choice.runDir),
    ));
  const out: RunMaskDetail = {
    label: `${name} · masks/${choice.stage}`,
    url: null,
    problem: null,
    iou: null,
    labelled: null,
  };
  const file = maskFileOf(choice.runDir, choice.stage, id);
  if (!(await fs.stat(file).catch(() => null))?.isFile()) {
    out.problem = `No ${file}: that stage has not labelled this image (it is not in the stage's image list, or not yet).`;
    return out;
  }
  try {
    const mask = await readClassMask(file);
    out.url = await maskToPng(mask);
    if (gt) Object.assign(out, (({ miou, labelled }) => ({ iou: miou, labelled }))(labelMapIou(mask, gt)));
  } catch (e) {
    out.problem = `${(e as Error).message}.`;
  }
  return out;
}
