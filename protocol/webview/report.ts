/**
 * mIoU report panel (extension/panels/report/* <-> webview/report/*): per-class IoU, the background-threshold
 * sweep (METHOD §6), loss and metric curves from metrics.jsonl (live while a run trains) and a table comparing
 * runs. Everything is read from run folders (docs/ARCHITECTURE.md "Run folder"); no engine needed.
 */
import type { ExperimentTable } from '../experiments';
import type { PanelContract } from './common';

/** One point of the threshold sweep: mIoU when pixels below `threshold` are background. */
export interface SweepPoint {
  threshold: number;
  miou: number;
}

/**
 * What a report measures, in the chain of the paper's tables (METHOD §3.2, §4, §5): CAMs, IR labels (confident
 * fg/bg/ignore), pseudo masks after the random walk ("+RW"), segmentation-network predictions; 'other' for a
 * mask stage of a type this version does not know.
 */
export type ChainKind = 'cam' | 'ir_labels' | 'pseudo_mask' | 'segmentation' | 'other';

/** A figure from a paper (METHOD §8), never measured here: shown beside ours, labelled "published". */
export interface PublishedFigures {
  method: string;
  /** Where the figures come from (paper table, README). */
  source: string;
  /** mIoU in [0,1] per kind, with the split it was measured on. */
  figures: { kind: ChainKind; split: string; miou: number; note?: string }[];
}

/** reports/<stage-id>.json of a run, checked; per_class_iou has one value per class (21 for VOC). */
export interface EvaluationReport {
  stageId: string;
  /** What it measures: from "source" ({stage, type}) and the stage types in run.json. */
  kind: ChainKind;
  /** The stage whose output was evaluated (masks/<id> or cams/<id>), when the report names it. */
  sourceStage: string | null;
  synthetic: boolean;
  split: string;
  nImages: number;
  classes: string[];
  threshold: number;
  miou: number;
  perClassIou: number[];
  sweep: SweepPoint[];
  best: SweepPoint | null;
}

/** One metrics.jsonl line: {"time","stage","step", name: number, ...}. */
export interface MetricRow {
  time: number;
  stage: string;
  step: number;
  values: Record<string, number>;
}

/** A run folder as the panel knows it; `messages` say what could not be read (the rest is still shown). */
export interface RunView {
  runDir: string;
  label: string;
  synthetic: boolean;
  status: string;
  reports: EvaluationReport[];
  messages: string[];
}

/** A run the user can add to the comparison. */
export interface RunChoice {
  runDir: string;
  label: string;
  synthetic: boolean;
  status: string;
}

/** The experiment the focused run belongs to (docs/EXPERIMENTS.md): its table once the engine wrote it. */
export interface ExperimentView {
  experimentDir: string;
  name: string;
  status: string;
  /** <exp>/table.json; null until the experiment has completed (or `experiment table` was run). */
  table: ExperimentTable | null;
}

/** Everything the panel shows; re-sent when the chosen runs or their reports change. */
export interface ReportSnapshot {
  available: RunChoice[];
  /** Runs in the comparison, in the user's order. */
  runs: RunView[];
  /** The run whose details (bars, sweep, curves) are shown; one of runs, or null. */
  focus: string | null;
  /** metrics.jsonl rows of the focused run read so far (more arrive as report/metrics). */
  metrics: MetricRow[];
  /** Why metrics are missing or partly unreadable, if they are. */
  metricsMessage: string | null;
  /** The papers' figures to show beside ours: empty unless a compared run is a VOC (non-synthetic) run. */
  published: PublishedFigures[];
  /** The focused run's experiment, when it is one of an experiment's runs. */
  experiment: ExperimentView | null;
  /** How the panel chose its runs, when it chose them itself (opened from the palette: the most recent). */
  notice?: string | null;
}

/** Host -> webview: new metrics.jsonl lines of the focused run (reset: the file was rewritten). */
export interface MetricsAppended {
  runDir: string;
  rows: MetricRow[];
  reset: boolean;
  message: string | null;
}

/** Params of report/setRuns: the compared run folders and which one is in focus. */
export interface SetRunsParams {
  runDirs: string[];
  focus: string | null;
}

/** What the webview keeps across hide/show: the compared runs and the focus. */
export interface ReportPanelState {
  runDirs?: string[];
  focus?: string | null;
  /** The report shown per run folder when it has several (stage id). */
  reportStage?: Record<string, string>;
}

export interface ReportContract extends PanelContract {
  requests: {
    /** Compare these run folders and show `focus` in detail; the new snapshot follows. */
    'report/setRuns': { params: SetRunsParams; result: null };
    /** Pick run folders with a folder dialog and add them to the comparison. */
    'report/browseRuns': { params: Record<string, never>; result: null };
    /** Re-read the run folders (run.json, reports) and re-send the snapshot. */
    'report/refresh': { params: Record<string, never>; result: null };
  };
  toWebview: {
    /** New metrics rows of the focused run, at most about once a second. */
    'report/metrics': MetricsAppended;
  };
  toHost: Record<string, never>;
  snapshot: ReportSnapshot;
  state: ReportPanelState;
}
