/**
 * CAM overlay panel (extension/panels/cam/* <-> webview/cam/*): per image and class, a run's CAM
 * (<run>/cams/<set>/<id>.npy, METHOD §3.1) as a heat map over the photo, the pseudo mask at a background
 * threshold, two runs side by side (e.g. the GT-prompt run vs the selected-word run), PNG export.
 */
import type { PanelContract } from './common';

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
  /** The prompt word this run used for this image and class (POLE selection), or null (GT name). */
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

/** Saved with setState. */
export interface CamState {
  left?: CamSource | null;
  right?: CamSource | null;
  imageId?: string | null;
  classIndex?: number | null;
  colormap?: ColormapName;
  opacity?: number;
  threshold?: number;
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
    /** Save a PNG rendered by the webview (data: URI); answers the saved path, or null when cancelled. */
    'cam/exportPng': { params: { fileName: string; dataUrl: string }; result: { path: string | null } };
  };
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: CamSnapshot;
  state: CamState;
}
