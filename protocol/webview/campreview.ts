/**
 * CAM preview editor (extension/preview/camPreviewPanel.ts <-> webview/campreview/*): one image opened with
 * "Open With… > WSSS CAM Preview", its per-class CAMs from the preview run's exported ONNX model (METHOD
 * §3.1, single scale) as heat maps rendered in the host (sharp) over the photo.
 */
import type { ColormapName } from './cam';
import type { PanelContract } from './common';

/** One class of the model, with its scores on this image (raw ReLU CAM mean and max). */
export interface CamPreviewClass {
  index: number;
  name: string;
  mean: number;
  peak: number;
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
  requests: {
    /** One class's CAM blended over the photo, as a PNG data: URI. */
    'campreview/overlay': { params: { classIndex: number; colormap: ColormapName; opacity: number }; result: { url: string; width: number; height: number } };
  };
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: CamPreviewSnapshot;
  state: CamPreviewState;
}
