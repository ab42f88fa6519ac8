// Experiments across the extension <-> engine boundary (docs/EXPERIMENTS.md): the experiment/* requests and
// notifications, and the two files the extension reads from an experiment folder (experiment.json,
// table.json). Mirrored by engine/wsss_engine/rpc/protocol.py EXPERIMENT_METHODS / EXPERIMENT_NOTIFICATIONS
// and experiments/runner.py + aggregate.py; kept apart from engine.ts so protocol changes merge mechanically.

/** Status of an experiment (experiment.json "status"). */
export type ExperimentStatus = 'created' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One run folder of an experiment: a shared run (stages identical across variants) or a variant's run. */
export interface ExperimentUnit {
  /** "shared/<variant>-s<seed>" or "runs/<variant>-s<seed>"; also its folder below the experiment folder. */
  name: string;
  kind: 'shared' | 'variant';
  variant: string | null;
  seed: number;
  /** Relative to the experiment folder. */
  runDir: string;
  /** The unit's run config, relative to the experiment folder. */
  config: string;
  stages: string[];
  /** Units whose artefacts this one reads. */
  needs: string[];
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  runId: string | null;
}

/** An error recorded in experiment.json; `unit` names the run it came from. */
export interface ExperimentError {
  kind: string;
  message: string;
  hint: string;
  path?: string;
  unit?: string;
}

/** <exp>/experiment.json (engine/wsss_engine/experiments/runner.py). */
export interface ExperimentState {
  formatVersion: 1;
  name: string;
  description: string;
  experimentFile: string;
  created: string;
  updated: string;
  status: ExperimentStatus;
  seeds: number[];
  reference: string;
  figures: Record<string, string>;
  publishedSource: string;
  variants: { name: string; label: string; published: Record<string, number> }[];
  units: ExperimentUnit[];
  error: ExperimentError | null;
}

/** Mean ± sample std over seeds of one figure (fractions in [0, 1]; null with no / one value). */
export interface ExperimentCell {
  mean: number | null;
  std: number | null;
  n: number;
  perSeed: Record<string, number>;
}

/** Paired difference variant - reference per seed, mean and 95% t confidence interval (null below 2 pairs). */
export interface ExperimentDiff {
  mean: number | null;
  lo: number | null;
  hi: number | null;
  n: number;
  perSeed: Record<string, number>;
}

/** One row of the table: a variant. `published` values are the paper's, in percent. */
export interface ExperimentRow {
  variant: string;
  label: string;
  reference: boolean;
  runs: { seed: number; runDir: string; status: string }[];
  values: Record<string, ExperimentCell>;
  diff: Record<string, ExperimentDiff>;
  published: Record<string, number>;
  perClass: Record<string, number>;
}

/** <exp>/table.json (engine/wsss_engine/experiments/aggregate.py); the report panel shows it. */
export interface ExperimentTable {
  formatVersion: 1;
  name: string;
  reference: string;
  seeds: number[];
  status: ExperimentStatus;
  synthetic: boolean;
  columns: { key: string; label: string }[];
  classes: string[];
  rows: ExperimentRow[];
  publishedSource: string;
  note: string;
}

/** Parameters of `experiment/start`: expand, validate and plan the experiment file into the folder, then run. */
export interface ExperimentStartParams {
  experimentPath: string;
  experimentDir: string;
}
/** Parameters of `experiment/resume` / `experiment/stop` / `experiment/status`. */
export interface ExperimentDirParams {
  experimentDir: string;
}
/** Result of `experiment/start|resume|status`: the plan and its state. */
export interface ExperimentStateResult {
  experimentDir: string;
  name: string;
  status: ExperimentStatus;
  units: ExperimentUnit[];
  error: ExperimentError | null;
}
/** Result of `experiment/stop`: false when this engine was not running that experiment. */
export interface ExperimentStopResult {
  stopped: boolean;
}
/** Notification `experiment/progress`: a stage's progress in one of the experiment's runs. */
export interface ExperimentProgressParams {
  experimentDir: string;
  unit: string;
  stageId: string;
  done: number;
  total: number;
  message: string;
}
/** Notification `experiment/finished`: the experiment's worker ended (completed: table written). */
export interface ExperimentFinishedParams {
  experimentDir: string;
  status: 'completed' | 'failed' | 'cancelled';
  error: ExperimentError | null;
}

/** The experiment requests (part of EngineRequests). */
export interface ExperimentRequests {
  'experiment/start': { params: ExperimentStartParams; result: ExperimentStateResult };
  'experiment/resume': { params: ExperimentDirParams; result: ExperimentStateResult };
  'experiment/stop': { params: ExperimentDirParams; result: ExperimentStopResult };
  'experiment/status': { params: ExperimentDirParams; result: ExperimentStateResult };
}
/** The experiment notifications (part of EngineNotifications). */
export interface ExperimentNotifications {
  'experiment/progress': ExperimentProgressParams;
  'experiment/finished': ExperimentFinishedParams;
}

const STATE_KEYS = ['experimentDir', 'name', 'status', 'units', 'error'] as const;

/** Descriptor entries of the experiment requests and notifications (merged into ENGINE_PROTOCOL). */
export const EXPERIMENT_PROTOCOL = {
  methods: {
    'experiment/start': { params: ['experimentPath', 'experimentDir'], result: STATE_KEYS },
    'experiment/resume': { params: ['experimentDir'], result: STATE_KEYS },
    'experiment/stop': { params: ['experimentDir'], result: ['stopped'] },
    'experiment/status': { params: ['experimentDir'], result: STATE_KEYS },
  },
  notifications: {
    'experiment/progress': ['experimentDir', 'unit', 'stageId', 'done', 'total', 'message'],
    'experiment/finished': ['experimentDir', 'status', 'error'],
  },
} as const satisfies {
  methods: {
    [M in keyof ExperimentRequests]: {
      params: readonly (keyof ExperimentRequests[M]['params'])[];
      result: readonly (keyof ExperimentRequests[M]['result'])[];
    };
  };
  notifications: { [N in keyof ExperimentNotifications]: readonly (keyof ExperimentNotifications[N])[] };
};
