/**
 * CAM preview editor (extension/panels/campreview/* <-> webview/campreview/*): one image opened with
 * "Open With… > WSSS CAM Preview", its per-class CAMs from the preview run's exported ONNX model (METHOD
 * §3.1, single scale), sent once in the snapshot and drawn over the photo by the browser with the CAM
 * panel's renderer: choosing a class, colour map or opacity needs no host round trip.
 */
import type { ColormapName } from './cam';
import type { PanelContract } from './common';

/** One class of the model, with its scores on this image (raw ReLU CAM mean and max) and its CAM. */
export interface CamPreviewClass {
  index: number;
  name: string;
  mean: number;
  peak: number;
  /** The max-normalised CAM, mapWidth × mapHeight bytes (0..255 = 0..1) in base64, like ClassCam.map. */
  map: string;
}

/** Everything the editor shows before any overlay is requested. */
export interface CamPreviewSnapshot {
  file: string;
  runDir: string | null;
  runName: string | null;
  synthetic: boolean;
  /** Original image size and the model input size. */
  width: number;
  height: number;
  inputWidth: number;
  inputHeight: number;
  /** The photo (long side at most 640 px) as a data: URI; null with a problem. */
  imageUrl: string | null;
  /** Size of every class's CAM map (the model's output grid, smaller than the photo: the browser scales it). */
  mapWidth: number;
  mapHeight: number;
  /** Classes ranked by mean CAM, best first. */
  classes: CamPreviewClass[];
  /** Why there are no CAMs (no export, unreadable image, mismatched model); null when there are. */
  problem: string | null;
  /** ms taken by model load + preprocessing + inference. */
  ms: number;
}

/** Saved with setState. */
export interface CamPreviewState {
  classIndex?: number | null;
  colormap?: ColormapName;
  opacity?: number;
}

export interface CamPreviewContract extends PanelContract {
  requests: Record<string, never>;
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: CamPreviewSnapshot;
  state: CamPreviewState;
}
