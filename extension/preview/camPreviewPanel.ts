/**
 * Host logic of the CAM preview editor (no `vscode` import: tests run it in Node): computes the image's CAMs
 * once with the preview run's ONNX model and answers overlay requests with PNG data: URIs (camRender.ts).
 */
import * as path from 'node:path';
import type { RequestUnion } from '../../protocol/webview/common';
import type { CamPreviewContract, CamPreviewSnapshot } from '../../protocol/webview/campreview';
import { RpcError, type PanelHandler } from '../panels/panelRpc';
import { computeCams, loadCamModel, PreviewError, rankClasses, readRgb, type CamResult } from './camModel';
import { renderOverlay, type RgbPhoto } from './camRender';
import type { PreviewSource } from './previewRun';

/** Long side of the overlays the editor shows. */
export const EDITOR_MAX_SIDE = 640;

export function createCamPreviewHandler(file: string, source: () => Promise<PreviewSource>): PanelHandler<CamPreviewContract> {
  let result: Promise<{ snapshot: CamPreviewSnapshot; cams: CamResult | null }> | undefined;
  let photo: Promise<RgbPhoto> | undefined; // the photo at editor size (the model input may be smaller)
  const compute = async (): Promise<{ snapshot: CamPreviewSnapshot; cams: CamResult | null }> => {
    const snapshot: CamPreviewSnapshot = {
      file, runDir: null, runName: null, synthetic: false, width: 0, height: 0, inputWidth: 0, inputHeight: 0, classes: [], problem: null, ms: 0,
    };
    const start = performance.now();
    try {
      const src = await source();
      snapshot.runName = src.runName;
      if (!src.runDir) return { snapshot: { ...snapshot, problem: src.problem ?? 'No run with an exported model.' }, cams: null };
      snapshot.runDir = src.runDir;
      const model = await loadCamModel(src.runDir);
      const cams = await computeCams(model, file);
      Object.assign(snapshot, {
        synthetic: model.meta.synthetic, width: cams.width, height: cams.height, inputWidth: cams.inputWidth, inputHeight: cams.inputHeight,
        classes: rankClasses(cams).map((k) => ({ index: k, name: cams.classes[k], mean: cams.mean[k], peak: cams.peak[k] })),
        ms: performance.now() - start,
      });
      return { snapshot, cams };
    } catch (e) {
      const message = e instanceof PreviewError ? e.message : `Preview of ${path.basename(file)} failed: ${(e as Error)?.message ?? String(e)}`;
      return { snapshot: { ...snapshot, problem: message }, cams: null };
    }
  };
  return {
    async snapshot() {
      result ??= compute();
      return (await result).snapshot;
    },
    async handleRequest(request: RequestUnion<CamPreviewContract['requests']>) {
      switch (request.method) {
        case 'campreview/overlay': {
          const { cams, snapshot } = await (result ??= compute());
          if (!cams) throw new RpcError('notFound', snapshot.problem ?? 'No CAMs for this image.');
          const { classIndex, colormap, opacity } = request.params;
          if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= cams.classes.length) {
            throw new RpcError('badInput', `No class ${classIndex}: the model has ${cams.classes.length} classes.`);
          }
          photo ??= readRgb(file, Math.min(EDITOR_MAX_SIDE, Math.max(cams.width, cams.height)))
            .then((p) => ({ rgb: p.rgb, width: p.inputWidth, height: p.inputHeight }));
          const overlay = await renderOverlay(cams, classIndex, EDITOR_MAX_SIDE, { colormap, opacity }, await photo);
          return { url: `data:image/png;base64,${overlay.png.toString('base64')}`, width: overlay.width, height: overlay.height };
        }
        default:
          throw new RpcError('unknownMethod', `The CAM preview has no request '${(request as { method: string }).method}'.`);
      }
    },
  };
}
