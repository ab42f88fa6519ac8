/**
 * CAM overlay panel (extension/panels/cam/* <-> webview/cam/*): per image and class, a run's CAM
 * (<run>/cams/<set>/<id>.npy, METHOD §3.1) as a heat map over the photo, the pseudo mask at a background
 * threshold, two runs side by side (e.g. the GT-prompt run vs the selected-word run), PNG export.
 */
import type { PanelContract } from './common';
import type { ChainKind } from './report';
import type { WordCamResult } from './synonyms';

/** A run folder the panel can show, or why it cannot. */
export interface CamRunInfo {
  runDir: string;
  name: string;
  status: string;
  synthetic: boolean;
  /** CAM sets present: the folders under cams/. */
  sets: string[];
  /** How the run's CLIMS stage chose its prompts: 'gt' (class names), 'selected' (POLE), or null. */
  prompt: string | null;
  /**
   * How each CAM set's model was prompted, from config.json: 'none' (a baseline_cam model: no prompt), 'gt',
   * 'selected', 'online'; a set not traced to its model gets `prompt`.
   */
  setPrompts: Record<string, string | null>;
  /** The dataset root from the run's config.json, resolved; null when not found. */
  datasetRoot: string | null;
  /** Why the run cannot be shown (older format, no cams...); the run stays listed. */
  problem: string | null;
  /** Notes that do not stop it (older run.json fields...). */
  warnings: string[];
}

/** Everything the panel needs to start. */
export interface CamSnapshot {
  runs: CamRunInfo[];
  /** Problems finding runs (unreadable folders). */
  problems: string[];
  /** The run folder the panel was opened on (command argument), if any. */
  initialRun: string | null;
  /** Why "training-free, this word" cannot be used (untrusted workspace, no engine); null when it can. */
  wordCamUnavailable?: string | null;
}

/** Params of cam/wordCam: the training-free CLIP CAM (METHOD §10, engine `clipCams/word`) of a typed word for
 * the shown image and class of a run, beside the run's own CAM. A newer call supersedes the older. */
export interface CamWordParams {
  runDir: string;
  className: string;
  word: string;
  imageId: string;
}

/** One side of the comparison: a run and one of its CAM sets. */
export interface CamSource {
  runDir: string;
  set: string;
}

/** One class's CAM of an image, quantised to bytes (0..255 = 0..1), row-major, width × height. */
export interface ClassCam {
  /** Foreground class index (0-based; mask value index + 1). */
  index: number;
  name: string;
  /** POLE's selected word for this image and class (set prompted 'selected'/'online'), else null. */
  word: string | null;
  /** base64 of width*height bytes. */
  map: string;
}

/** What one side shows for an image. */
export interface CamView {
  id: string;
  /** data: URI of the photo, or null with imageProblem. */
  imageUrl: string | null;
  imageProblem: string | null;
  width: number;
  height: number;
  /** Map size (equals the image size for high_res; smaller for older stride-4-only files). */
  mapWidth: number;
  mapHeight: number;
  cams: ClassCam[];
  /** Why there is no CAM (missing file, older format...); null when cams are there. */
  problem: string | null;
  /** E.g. "only the stride-4 CAM is stored; shown upsampled". */
  note: string | null;
}

/** One label map of an image (masks/<stage>/<id>.png, or the ground truth), ready to show. */
export interface LabelMapView {
  /** The stage that wrote it (masks/<stage>/), or 'ground truth'. */
  stage: string;
  /** The stage type from run.json (ir_labels, random_walk, infer_segmenter), null for GT or unknown. */
  type: string | null;
  kind: ChainKind | 'ground_truth';
  /** PNG data: URI in VOC palette colours (black background, cream ignore), or null with `problem`. */
  url: string | null;
  problem: string | null;
  /** Mask values present (0 background, 1..C classes, 255 ignore), with their share of pixels. */
  values: { value: number; fraction: number }[];
  /** mIoU of this map against the GT on this image (pixels both label), null without GT. */
  iou: number | null;
  /** Share of the GT's labelled pixels this map labels (IR labels leave an ignore band), null without GT. */
  labelled: number | null;
}

/** The chain of one image in one run: every masks/<stage> that has it, then the ground truth. */
export interface ChainMaps {
  id: string;
  maps: LabelMapView[];
  gt: LabelMapView | null;
  /** Class names (index i = mask value i + 1). */
  classes: string[];
  /** The GT's class indices (base64 of width*height bytes) for scoring the panel's own pseudo mask; null without GT. */
  gtLabels: { width: number; height: number; data: string } | null;
  /** E.g. "This run has no masks/ folder yet". */
  note: string | null;
}

/** Saved with setState. */
export interface CamState {
  left?: CamSource | null;
  right?: CamSource | null;
  imageId?: string | null;
  classIndex?: number | null;
  colormap?: ColormapName;
  opacity?: number;
  threshold?: number;
  /** Show the chain strip (photo, CAM, IR label, pseudo mask, segmenter, GT) under the sides. */
  showChain?: boolean;
}

export type ColormapName = 'jet' | 'viridis' | 'inferno';

export interface CamContract extends PanelContract {
  requests: {
    /** Add a run folder (null: ask with a folder dialog); answers the new snapshot. */
    'cam/addRun': { params: { runDir: string | null }; result: CamSnapshot };
    /** Image ids that have CAMs in a run's set, sorted. */
    'cam/images': { params: CamSource; result: { ids: string[]; problem: string | null } };
    /** The photo and every class's CAM of one image in one run. */
    'cam/view': { params: CamSource & { id: string }; result: CamView };
    /** Every label map of one image in a run (IR labels, pseudo mask, segmenter output) and its GT. */
    'cam/chain': { params: { runDir: string; id: string }; result: ChainMaps };
    /** Save a PNG rendered by the webview (data: URI); answers the saved path, or null when cancelled. */
    'cam/exportPng': { params: { fileName: string; dataUrl: string }; result: { path: string | null } };
    /** The training-free CAM of a word on the shown image (one image of the synonym editor's result shape). */
    'cam/wordCam': { params: CamWordParams; result: WordCamResult };
  };
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: CamSnapshot;
  state: CamState;
}
