// Extension <-> engine protocol: JSON-RPC 2.0 with Content-Length framing over the engine daemon's Unix socket
// or a window's own engine's stdio (docs/ARCHITECTURE.md, "Extension <-> engine protocol", "Engine daemon").
// Source of truth on the TypeScript side; mirrored by engine/wsss_engine/rpc/protocol.py, whose descriptor
// `python -m wsss_engine protocol` prints. test/unit/protocolDrift.test.ts fails when the two differ.
// Imported by the extension host only (no `vscode`, no Node APIs), so plain-Node tests can use it.

import { EXPERIMENT_PROTOCOL, type ExperimentNotifications, type ExperimentRequests } from './experiments';

/** Version of this protocol; the engine reports its own in `initialize` and a mismatch refuses the engine. */
// 2: run/start answers name + stages; run/metrics and engine/log removed.
// 3: initialize answers before torch is loaded (the CPU only); engine/devices follows with every device.
// 4: cluster/submit, cluster/status, cluster/cancel (runs on a SLURM cluster).
// 5: the engine daemon (one engine per user): run/started to every client, run/start answers queuedBehind,
//    run/list entries carry name, stages, queuedBehind and the last progress, run/finished says
//    removedFromQueue; `shutdown` on a daemon connection ends that connection only.
// 6: experiment/start|resume|stop|status and experiment/progress|finished (protocol/experiments.ts).
export const ENGINE_PROTOCOL_VERSION = 6;

/** A compute device the engine can run on. */
export interface EngineDevice {
  /** What a run config's "device" accepts: "cpu", "cuda:0", "mps". */
  id: string;
  name: string;
  kind: 'cpu' | 'cuda' | 'mps';
  memoryBytes: number | null;
}

/** Status of a run, as in run.json. */
export type RunStatus = 'created' | 'running' | 'completed' | 'failed' | 'cancelled';

/** Why a run or request failed: the `data` of a JSON-RPC error, and `error` in run.json and run/finished. */
export interface EngineErrorInfo {
  kind: EngineErrorKind;
  message?: string;
  hint?: string;
  path?: string;
}

/** Parameters of `initialize`: who is talking to the engine. */
export interface InitializeParams {
  clientName: string;
  clientVersion: string;
}
/** Result of `initialize`, answered before the engine imports torch (so in well under a second): torchVersion
 * is the installed package's version, devices the CPU only; `engine/devices` then brings the full list. */
export interface InitializeResult {
  protocolVersion: number;
  engineVersion: string;
  pythonVersion: string;
  torchVersion: string;
  devices: EngineDevice[];
}
/** Sent once after the `initialize` reply, when torch has loaded: every device (the CPU first). */
export interface EngineDevicesParams {
  torchVersion: string;
  devices: EngineDevice[];
}
/** Parameters of `shutdown`: none; the engine stops its runs and waits for the `exit` notification. On a
 * connection to the engine daemon it ends that connection only (the runs go on). */
export type ShutdownParams = Record<never, never>;
/** Result of `shutdown`: empty. */
export type ShutdownResult = Record<never, never>;
/** Parameters of `ping`: none. */
export type PingParams = Record<never, never>;
/** Result of `ping`: the engine's clock (unix seconds). */
export interface PingResult {
  time: number;
}
/** Parameters of `run/start`: the config to run (may be omitted when resuming), the run folder, resume or not. */
export interface RunStartParams {
  configPath?: string | null;
  runDir: string;
  resume?: boolean;
}
/** Result of `run/start`, sent once the config has validated (ConfigInvalid otherwise, with every problem in
 * its data) and the run folder exists: the run's name and its stages, so the host reads no run.json back, and
 * the run it waits for when another one runs (one FIFO queue per engine). */
export interface RunStartResult {
  runId: string;
  runDir: string;
  name: string;
  stages: RunStageRef[];
  queuedBehind: QueuedBehind | null;
}
/** The run a queued run waits for: the one running now (else the nearest one queued before it). */
export interface QueuedBehind {
  runId: string;
  name: string;
}
/** Notification `run/started`: a run was started or resumed, by this client or (the daemon) any other one. */
export type RunStartedParams = RunStartResult;
/** One stage of a run config, as `run/start` answers it. */
export interface RunStageRef {
  id: string;
  type: string;
}
/** Parameters of `run/cancel`. */
export interface RunCancelParams {
  runId: string;
}
/** Result of `run/cancel`: false when the run was not running. */
export interface RunCancelResult {
  cancelled: boolean;
}
/** Parameters of `run/list`: none. */
export type RunListParams = Record<never, never>;
/** One run the engine has started since it began (the daemon: from any client), as a reattaching window
 * needs it: status ("created" while queued), name, stages, what it waits for, its last progress. */
export interface RunListEntry {
  runId: string;
  runDir: string;
  status: RunStatus;
  name: string;
  stages: RunStageRef[];
  queuedBehind: QueuedBehind | null;
  progress: RunProgressParams | null;
}
/** Result of `run/list`. */
export interface RunListResult {
  runs: RunListEntry[];
}
/** Parameters of `config/validate`. */
export interface ConfigValidateParams {
  configPath: string;
}
/** One schema or semantic problem in a run config; `path` says where in the config ("$.stages[2].cams"). */
export interface ConfigProblem {
  path: string;
  message: string;
}
/** Result of `config/validate`. */
export interface ConfigValidateResult {
  valid: boolean;
  errors: ConfigProblem[];
}
/** Parameters of `synonyms/score`: CLIP scores of each candidate word for some images of a run. `classes`
 * limits the classes scored (default: every class the image has a CAM for); `words` {class: [words, GT
 * first]} replaces the run bank's words of those classes (unsaved edits in the synonym editor). */
export interface SynonymsScoreParams {
  runDir: string;
  imageIds: string[];
  classes?: string[];
  words?: Record<string, string[]>;
}
/** One (image, class) of `synonyms/score`: cosine of the CAM-masked image with "a photo of {word}." per word
 * (METHOD §2.2); `chosen` = the word the run's stored selection picked, when it is among the scored words. */
export interface SynonymScoreEntry {
  imageId: string;
  class: string;
  chosen?: string;
  scores: Record<string, number>;
}
/** Result of `synonyms/score`. */
export interface SynonymsScoreResult {
  scores: SynonymScoreEntry[];
}
/** Parameters of `synonyms/suggest`: candidate words for each class from WordNet 3.0 or from a word-vector file
 * (`vectors`: word2vec text/binary, GloVe or fastText .vec; needed for source "vectors"); `size` words per
 * class at most, the class's prompt word included (METHOD §2.1, the paper's Fig. 3 uses 2-5). */
export interface SynonymsSuggestParams {
  classes: string[];
  source: 'wordnet' | 'vectors';
  size: number;
  vectors?: string | null;
}
/** Result of `synonyms/suggest`: per class, its prompt word first, then ranked candidates (best first). */
export interface SynonymsSuggestResult {
  suggestions: Record<string, string[]>;
}

/** Options of a cluster job (docs/CLUSTER.md; the run config's `cluster` block has the same keys). */
export interface ClusterOptions {
  nodes?: number;
  gpus_per_node?: number;
  procs_per_node?: number;
  agents_per_node?: number;
  cpus_per_task?: number;
  mem?: string;
  time?: string;
  partition?: string;
  account?: string;
  qos?: string;
  constraint?: string;
  job_name?: string;
  signal_lead_s?: number;
  requeue?: boolean;
  rendezvous_port?: number;
  ssh_host?: string;
  python?: string;
  env?: Record<string, string>;
}
/** One submission of a run's job, as <run>/cluster/jobs.json records it. */
export interface ClusterJob {
  id: string;
  submitted: string;
  host: string;
  script: string;
  worldSize: number;
  options: ClusterOptions;
}
/** Parameters of `cluster/submit`: a new run from `configPath` in `runDir`, or (`resume`) its job again. */
export interface ClusterSubmitParams {
  configPath?: string | null;
  runDir: string;
  resume?: boolean;
  options?: ClusterOptions;
}
/** Result of `cluster/submit`. */
export interface ClusterSubmitResult {
  job: ClusterJob;
}
/** Parameters of `cluster/status`. */
export interface ClusterStatusParams {
  runDir: string;
}
/** Result of `cluster/status`: SLURM's state of the last job ("PENDING", "RUNNING", "COMPLETED", ...,
 * "UNKNOWN" once SLURM forgets it), which command said so, and the run's own status from run.json. */
export interface ClusterStatusResult {
  job: ClusterJob;
  jobs: number;
  state: string;
  reason: string;
  source: string;
  active: boolean;
  runStatus: string;
}
/** Parameters of `cluster/cancel`: a polite stop (checkpoint) unless `now`. */
export interface ClusterCancelParams {
  runDir: string;
  now?: boolean;
}
/** Result of `cluster/cancel`: how the stop was sent ("stop request" or "scancel"). */
export interface ClusterCancelResult {
  job: ClusterJob;
  state: string;
  how: string;
}

/** Notification `run/progress`: a stage's progress. */
export interface RunProgressParams {
  runId: string;
  stageId: string;
  done: number;
  total: number;
  message: string;
}
/** Notification `run/finished`: a run ended; `error` is set when status is "failed"; `removedFromQueue` when
 * it was stopped while queued (status "cancelled", but it never started: no checkpoint to resume from). */
export interface RunFinishedParams {
  runId: string;
  status: 'completed' | 'failed' | 'cancelled';
  error: EngineErrorInfo | null;
  removedFromQueue: boolean;
}
/** Notification `exit` (extension -> engine): exit now (after `shutdown`). */
export type ExitParams = Record<never, never>;

/** Every request: method name -> params and result. */
export interface EngineRequests extends ExperimentRequests {
  initialize: { params: InitializeParams; result: InitializeResult };
  shutdown: { params: ShutdownParams; result: ShutdownResult };
  ping: { params: PingParams; result: PingResult };
  'run/start': { params: RunStartParams; result: RunStartResult };
  'run/cancel': { params: RunCancelParams; result: RunCancelResult };
  'run/list': { params: RunListParams; result: RunListResult };
  'config/validate': { params: ConfigValidateParams; result: ConfigValidateResult };
  'synonyms/score': { params: SynonymsScoreParams; result: SynonymsScoreResult };
  'synonyms/suggest': { params: SynonymsSuggestParams; result: SynonymsSuggestResult };
  'cluster/submit': { params: ClusterSubmitParams; result: ClusterSubmitResult };
  'cluster/status': { params: ClusterStatusParams; result: ClusterStatusResult };
  'cluster/cancel': { params: ClusterCancelParams; result: ClusterCancelResult };
}
/** Every engine -> extension notification: name -> params. */
export interface EngineNotifications extends ExperimentNotifications {
  'engine/devices': EngineDevicesParams;
  'run/started': RunStartedParams;
  'run/progress': RunProgressParams;
  'run/finished': RunFinishedParams;
}
/** Every extension -> engine notification (besides vscode-jsonrpc's own `$/cancelRequest`). */
export interface EngineClientNotifications {
  exit: ExitParams;
}
export type EngineMethod = keyof EngineRequests;
export type EngineParams<M extends EngineMethod> = EngineRequests[M]['params'];
export type EngineResult<M extends EngineMethod> = EngineRequests[M]['result'];
export type EngineNotification = keyof EngineNotifications;

/** JSON-RPC error codes of the engine's typed errors (engine/wsss_engine/errors.py). */
export const ENGINE_ERROR_CODES = {
  ConfigInvalid: -32001,
  RunFolderError: -32002,
  RunNotFound: -32003,
  WeightsMissing: -32004,
  DatasetError: -32005,
  OutOfMemory: -32006,
  StageFailed: -32007,
  ClusterError: -32008,
  Cancelled: -32800,
} as const;
export type EngineErrorKind = keyof typeof ENGINE_ERROR_CODES;

/** Exactly the keys of T, checked at compile time (a missing or unknown key is an error). */
function keysOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never)
  ): K => keys;
}

/**
 * Runtime descriptor of the protocol, the shape `python -m wsss_engine protocol` prints as JSON:
 * {methods: {name: {params: keys, result: keys}}, notifications: {name: keys}, errors: {kind: code}}.
 * Notifications of both directions (engine -> extension, and `exit`); `$/cancelRequest` is not listed.
 * Keys are top-level field names (optional ones included); order does not matter.
 */
export const ENGINE_PROTOCOL = {
  methods: {
    initialize: {
      params: keysOf<InitializeParams>()('clientName', 'clientVersion'),
      result: keysOf<InitializeResult>()(
        'protocolVersion',
        'engineVersion',
        'pythonVersion',
        'torchVersion',
        'devices',
      ),
    },
    shutdown: { params: keysOf<ShutdownParams>()(), result: keysOf<ShutdownResult>()() },
    ping: { params: keysOf<PingParams>()(), result: keysOf<PingResult>()('time') },
    'run/start': {
      params: keysOf<RunStartParams>()('configPath', 'runDir', 'resume'),
      result: keysOf<RunStartResult>()('runId', 'runDir', 'name', 'stages', 'queuedBehind'),
    },
    'run/cancel': { params: keysOf<RunCancelParams>()('runId'), result: keysOf<RunCancelResult>()('cancelled') },
    'run/list': { params: keysOf<RunListParams>()(), result: keysOf<RunListResult>()('runs') },
    'config/validate': {
      params: keysOf<ConfigValidateParams>()('configPath'),
      result: keysOf<ConfigValidateResult>()('valid', 'errors'),
    },
    'synonyms/score': {
      params: keysOf<SynonymsScoreParams>()('runDir', 'imageIds', 'classes', 'words'),
      result: keysOf<SynonymsScoreResult>()('scores'),
    },
    'synonyms/suggest': {
      params: keysOf<SynonymsSuggestParams>()('classes', 'source', 'size', 'vectors'),
      result: keysOf<SynonymsSuggestResult>()('suggestions'),
    },
    'cluster/submit': {
      params: keysOf<ClusterSubmitParams>()('configPath', 'runDir', 'resume', 'options'),
      result: keysOf<ClusterSubmitResult>()('job'),
    },
    'cluster/status': {
      params: keysOf<ClusterStatusParams>()('runDir'),
      result: keysOf<ClusterStatusResult>()('job', 'jobs', 'state', 'reason', 'source', 'active', 'runStatus'),
    },
    'cluster/cancel': {
      params: keysOf<ClusterCancelParams>()('runDir', 'now'),
      result: keysOf<ClusterCancelResult>()('job', 'state', 'how'),
    },
    ...EXPERIMENT_PROTOCOL.methods,
  },
  notifications: {
    'engine/devices': keysOf<EngineDevicesParams>()('torchVersion', 'devices'),
    'run/started': keysOf<RunStartedParams>()('runId', 'runDir', 'name', 'stages', 'queuedBehind'),
    'run/progress': keysOf<RunProgressParams>()('runId', 'stageId', 'done', 'total', 'message'),
    'run/finished': keysOf<RunFinishedParams>()('runId', 'status', 'error', 'removedFromQueue'),
    exit: keysOf<ExitParams>()(),
    ...EXPERIMENT_PROTOCOL.notifications,
  },
  errors: ENGINE_ERROR_CODES,
} as const satisfies {
  methods: { [M in EngineMethod]: { params: readonly string[]; result: readonly string[] } };
  notifications: { [N in EngineNotification | keyof EngineClientNotifications]: readonly string[] };
  errors: Record<EngineErrorKind, number>;
};

/** The plain-JSON form of a descriptor (what the engine prints). */
export interface ProtocolDescriptor {
  methods: Record<string, { params: readonly string[]; result: readonly string[] }>;
  notifications: Record<string, readonly string[]>;
  errors: Record<string, number>;
}
