// What the report panel shows of a run folder (docs/ARCHITECTURE.md "Run folder"): run.json and every
// reports/<stage-id>.json, read by extension/runs/runFolder.ts and checked here field by field. Whatever
// cannot be read becomes a message on the RunView and the rest is still shown (an older run folder, a
// missing report, a half-written file). No `vscode` import.
import { basename } from 'node:path';
import { kindOfStageType, PUBLISHED_VOC } from '../../../common/chain';
import { canonicalName, VOC_CLASSES } from '../../../common/classes';
import type {
  EvaluationReport,
  PublishedFigures,
  RunChoice,
  RunView,
  SweepPoint,
} from '../../../protocol/webview/report';
import {
  listRunFolders,
  readReports,
  readRunFolder,
  runLabels,
  skippedOf,
  type RunStageRecord,
} from '../../runs/runFolder';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** run.json's identity and status, with messages for what is off (never throws). */
export async function readRunHeader(
  runDir: string,
): Promise<Pick<RunView, 'label' | 'synthetic' | 'status' | 'messages'> & { stages: RunStageRecord[] }> {
  try {
    const { record, warnings } = await readRunFolder(runDir);
    return {
      label: record.name,
      synthetic: record.synthetic,
      status: record.status,
      messages: warnings,
      stages: record.stages,
    };
  } catch (e) {
    return {
      label: basename(runDir),
      synthetic: false,
      status: 'unknown',
      messages: [`${(e as Error).message}.`],
      stages: [],
    };
  }
}

/**
 * The run pickers' list (report and synonym panels): every run found under `roots`, sorted by label; runs that
 * share a name are told apart by runFolder.ts runLabels, unreadable folders are listed by folder name.
 */
export async function listRunChoices(roots: readonly string[]): Promise<RunChoice[]> {
  const { runs, unreadable } = await listRunFolders(roots);
  const labels = runLabels(runs);
  const choices = [
    ...runs.map((r) => ({
      runDir: r.dir,
      label: labels.get(r.dir) ?? r.record.name,
      synthetic: r.record.synthetic,
      status: r.record.status as string,
    })),
    ...unreadable.map((u) => ({ runDir: u.dir, label: basename(u.dir), synthetic: false, status: 'unknown' })),
  ];
  return choices.sort((a, b) => a.label.localeCompare(b.label) || a.runDir.localeCompare(b.runDir));
}

/**
 * One reports/<stage>.json checked against the contract; an Error says which field is wrong. Its kind comes
 * from "source": {"stage", "type"}; a source without a type is looked up in run.json's `stages`.
 */
export function toEvaluationReport(
  stageId: string,
  value: unknown,
  stages: readonly RunStageRecord[] = [],
): EvaluationReport | Error {
  if (!isObject(value)) return new Error('not a JSON object');
  const source = isObject(value.source) ? value.source : null;
  const sourceStage = typeof source?.stage === 'string' ? source.stage : null;
  const sourceType =
    typeof source?.type === 'string'
      ? source.type
      : sourceStage
        ? (stages.find((s) => s.id === sourceStage)?.type ?? 'unknown')
        : null;
  const classes = Array.isArray(value.classes) ? value.classes.map(String) : null;
  const perClass = Array.isArray(value.per_class_iou) ? value.per_class_iou.map((v) => num(v) ?? Number.NaN) : null;
  const miou = num(value.miou);
  if (miou === null) return new Error('"miou" is missing or not a number');
  if (!perClass) return new Error('"per_class_iou" is missing');
  const names = classes ?? perClass.map((_, i) => `class ${i}`);
  if (names.length !== perClass.length) {
    return new Error(`"classes" has ${names.length} names but "per_class_iou" has ${perClass.length} values`);
  }
  const sweep: SweepPoint[] = (Array.isArray(value.sweep) ? value.sweep : [])
    .filter(isObject)
    .map((p) => ({ threshold: num(p.threshold) ?? Number.NaN, miou: num(p.miou) ?? Number.NaN }))
    .filter((p) => Number.isFinite(p.threshold) && Number.isFinite(p.miou))
    .sort((a, b) => a.threshold - b.threshold);
  const best =
    isObject(value.best) && num(value.best.threshold) !== null && num(value.best.miou) !== null
      ? { threshold: num(value.best.threshold)!, miou: num(value.best.miou)! }
      : null;
  return {
    stageId,
    kind: kindOfStageType(sourceType),
    sourceStage,
    synthetic: value.synthetic === true,
    split: typeof value.split === 'string' ? value.split : '?',
    nImages: num(value.n_images) ?? 0,
    classes: names,
    threshold: num(value.threshold) ?? Number.NaN,
    miou,
    perClassIou: perClass,
    sweep,
    best,
  };
}

/** Everything the panel shows about one run folder. */
export async function readRunView(runDir: string): Promise<RunView> {
  const header = await readRunHeader(runDir);
  const messages = [...header.messages];
  for (const stage of header.stages) {
    const { count, ids } = skippedOf(stage);
    if (count)
      messages.push(
        `Stage ${stage.id} skipped ${count} unreadable image(s) (skip_corrupt)${ids.length ? `: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ' …' : ''}` : ''}; its figures leave them out.`,
      );
  }
  const reports: EvaluationReport[] = [];
  const files = await readReports(runDir);
  if (files.size === 0) {
    messages.push(
      'No evaluation report yet: the run has not been evaluated (an "evaluate" stage writes reports/<stage>.json).',
    );
  }
  for (const [stageId, raw] of files) {
    if (raw instanceof Error) {
      messages.push(`${raw.message}; skipped.`);
      continue;
    }
    const report = toEvaluationReport(stageId, raw, header.stages);
    if (report instanceof Error) messages.push(`reports/${stageId}.json: ${report.message}; skipped.`);
    else reports.push(report);
  }
  if (files.size > 0 && reports.length === 0) messages.push('No readable evaluation report in reports/.');
  // A run is synthetic when run.json or any of its reports says so (shown as SYNTHETIC everywhere).
  const synthetic = header.synthetic || reports.some((r) => r.synthetic);
  return { runDir, label: header.label, synthetic, status: header.status, reports, messages };
}

/** A run measured on PASCAL VOC: not synthetic, and its reports name background + the 20 VOC classes. */
function isVocRun(run: RunView): boolean {
  const voc = ['background', ...VOC_CLASSES];
  return (
    !run.synthetic &&
    run.reports.length > 0 &&
    run.reports.every((r) => r.classes.length === voc.length && r.classes.every((c, i) => canonicalName(c) === voc[i]))
  );
}

/** The papers' figures to show beside `runs`: VOC's when a compared run is a VOC run; none beside synthetic or other datasets. */
export function publishedFor(runs: readonly RunView[]): PublishedFigures[] {
  return runs.some(isVocRun) ? [...PUBLISHED_VOC] : [];
}
