/**
 * Host logic of the CAM preview editor (no `vscode` import: tests run it in Node): computes the image's CAMs
 * once with the preview run's ONNX model and sends them with the photo in the snapshot. The webview draws
 * them with the CAM panel's renderer (webview/shared/camRendering.ts), so class, colour map and opacity
 * changes never come back to the host; host-side PNGs (preview/camRender.ts) are for the hover only.
 */
import * as path from 'node:path';
import type { RequestUnion } from '../../../protocol/webview/common';
import type { CamPreviewContract, CamPreviewSnapshot } from '../../../protocol/webview/campreview';
import { computeCams, loadCamModel, PreviewError, rankClasses } from '../../preview/camModel';
import type { PreviewSource } from '../../preview/previewRun';
import { RpcError, type PanelHandler } from '../panelRpc';
import { camBytes, readPhoto } from '../photoImage';

/** Long side of the photo the editor shows. */
export const EDITOR_MAX_SIDE = 640;

export function createCamPreviewHandler(
  file: string,
  source: () => Promise<PreviewSource>,
): PanelHandler<CamPreviewContract> {
  let snapshot: Promise<CamPreviewSnapshot> | undefined;
  const compute = async (): Promise<CamPreviewSnapshot> => {
    const snap: CamPreviewSnapshot = {
      file,
      runDir: null,
      runName: null,
      synthetic: false,
      width: 0,
      height: 0,
      inputWidth: 0,
      inputHeight: 0,
      imageUrl: null,
      mapWidth: 0,
      mapHeight: 0,
      classes: [],
      problem: null,
      ms: 0,
    };
    const start = performance.now();
    try {
      const src = await source();
      snap.runName = src.runName;
      if (!src.runDir) return { ...snap, problem: src.problem ?? 'No run with an exported model.' };
      snap.runDir = src.runDir;
      const model = await loadCamModel(src.runDir);
      const cams = await computeCams(model, file);
      Object.assign(snap, {
        synthetic: model.meta.synthetic,
        width: cams.width,
        height: cams.height,
        inputWidth: cams.inputWidth,
        inputHeight: cams.inputHeight,
        mapWidth: cams.mapWidth,
        mapHeight: cams.mapHeight,
        classes: rankClasses(cams).map((k) => ({
          index: k,
          name: cams.classes[k],
          mean: cams.mean[k],
          peak: cams.peak[k],
          map: camBytes(cams.maps[k]),
        })),
        ms: performance.now() - start,
      });
      snap.imageUrl = (await readPhoto(file, EDITOR_MAX_SIDE)).url;
      return snap;
    } catch (e) {
      const message =
        e instanceof PreviewError
          ? e.message
          : `Preview of ${path.basename(file)} failed: ${(e as Error)?.message ?? String(e)}`;
      return { ...snap, classes: [], problem: message };
    }
  };
  return {
    snapshot: () => (snapshot ??= compute()),
    async handleRequest(request: RequestUnion<CamPreviewContract['requests']>) {
      throw new RpcError(
        'unknownMethod',
        `The CAM preview has no request '${(request as { method: string }).method}'.`,
      );
    },
  };
}
