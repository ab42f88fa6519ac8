/**
 * Host logic of the dataset browser (no `vscode` import: the webview tests run it in Node).
 * One `switch (request.method)`; every failure becomes a message in the panel, never a dead panel.
 */
import * as path from 'node:path';
import type {
  DatasetContract,
  DatasetSnapshot,
  ImageDetail,
  RunMaskChoice,
  Thumbnail,
} from '../../../protocol/webview/dataset';
import type { PanelEnvironment } from '../panelHost';
import { RpcError, type PanelCancellation, type PanelHandler } from '../panelRpc';
import { classFractions, maskToPng, readClassMask, type ClassMask } from './maskImage';
import { listRunMaskSources, runMaskDetail } from './runMasks';
import { readPhoto } from '../photoImage';
import { suggestRoots } from './rootSuggestions';
import { ThumbnailCache } from './thumbnailCache';
import { IMAGES_DIR } from '../../dataset/vocLayout';
import { DatasetRootError, openDataset, type OpenDataset } from './vocDataset';

/** Thumbnails made while the snapshot travels: about the first screen of the grid. */
const PREFETCH = 42;

export function emptySnapshot(root: string | null, problem: DatasetSnapshot['problem']): DatasetSnapshot {
  return {
    root,
    problem,
    warnings: [],
    classes: [],
    sets: [],
    set: 'all',
    ids: [],
    labels: [],
    hasMask: [],
    hasImage: [],
    labelSource: 'none',
    synthetic: false,
  };
}

export class DatasetBrowser implements PanelHandler<DatasetContract> {
  private dataset: OpenDataset | undefined;
  /** Run labels of the last mask-source listing (runDir -> label), so a detail names its run the same way. */
  private readonly runNames = new Map<string, string>();
  private readonly thumbnails: ThumbnailCache;

  constructor(
    private readonly env: PanelEnvironment,
    private initialRoot?: string,
  ) {
    this.thumbnails = new ThumbnailCache(env.storageDir);
  }

  async snapshot(restored: DatasetContract['state'] | null): Promise<DatasetSnapshot> {
    const root = this.initialRoot ?? restored?.root ?? null;
    this.initialRoot = undefined; // a later ready (webview reload) restores from the webview's state
    if (!root)
      return {
        ...emptySnapshot(null, null),
        suggestions: await suggestRoots(this.env.workspaceFolders, this.env.runsDirectory?.()),
      };
    // A hidden webview reloads when shown again: the open dataset is still good, no need to read it again.
    const ds = this.dataset;
    if (ds && (ds.root === root || path.dirname(ds.root) === root) && (!restored?.set || restored.set === ds.set))
      return publicView(ds);
    return this.open(root, restored?.set);
  }

  async handleRequest(
    request: import('../../../protocol/webview/common').RequestUnion<DatasetContract['requests']>,
    cancellation: PanelCancellation,
  ): Promise<unknown> {
    switch (request.method) {
      case 'dataset/open': {
        const root =
          request.params.root ??
          (await this.env.pickFolder('Open a VOC-layout dataset root', this.env.workspaceFolders[0]));
        if (!root) return this.dataset ? publicView(this.dataset) : emptySnapshot(null, null);
        return this.open(root, request.params.set);
      }
      case 'dataset/thumbnails':
        return this.thumbnailBatch(request.params.ids, cancellation);
      case 'dataset/image':
        return this.detail(request.params.id, request.params.runMasks ?? null);
      case 'dataset/maskSources': {
        const sources = await listRunMaskSources(this.env);
        for (const s of sources) this.runNames.set(s.runDir, s.runName);
        return sources;
      }
      default:
        throw new RpcError(
          'unknownMethod',
          `The dataset browser has no request '${(request as { method: string }).method}'.`,
        );
    }
  }

  dispose(): void {
    this.thumbnails.close();
  }

  /** Resolves when no thumbnail is being made (tests delete the cache folder after it). */
  idle(): Promise<void> {
    return this.thumbnails.idle();
  }

  private async open(root: string, set?: string): Promise<DatasetSnapshot> {
    try {
      this.dataset = await openDataset(root, set);
      const ds = this.dataset;
      this.thumbnails.prefetch(
        ds.ids.slice(0, PREFETCH).flatMap((id) => {
          const file = ds.imageFiles.get(id);
          return file ? [path.join(ds.root, IMAGES_DIR, file)] : [];
        }),
      );
      this.env.log(
        `dataset browser: opened ${this.dataset.root} list ${this.dataset.set} (${this.dataset.ids.length} images)`,
      );
      return publicView(this.dataset);
    } catch (e) {
      this.dataset = undefined;
      if (e instanceof DatasetRootError) return emptySnapshot(root, e.problem);
      return emptySnapshot(root, {
        message: `Cannot open ${root}: ${(e as Error).message}`,
        hint: 'Check that the folder is readable.',
      });
    }
  }

  private requireDataset(): OpenDataset {
    if (!this.dataset) throw new RpcError('badInput', 'No dataset is open.', 'Open a VOC-layout root first.');
    return this.dataset;
  }

  private async thumbnailBatch(ids: string[], cancellation: PanelCancellation): Promise<Thumbnail[]> {
    const ds = this.requireDataset();
    return Promise.all(
      ids.map(async (id): Promise<Thumbnail> => {
        if (cancellation.cancelled) return { id, error: 'cancelled' };
        const file = ds.imageFiles.get(id);
        if (!file) return { id, error: `missing: JPEGImages/${id}.jpg` };
        try {
          return { id, url: await this.thumbnails.get(path.join(ds.root, IMAGES_DIR, file)) };
        } catch (e) {
          return { id, error: (e as Error).message };
        }
      }),
    );
  }

  private async detail(id: string, runMasks: RunMaskChoice | null): Promise<ImageDetail> {
    const out = await this.gtDetail(id);
    if (runMasks) out.detail.runMask = await runMaskDetail(runMasks, id, out.gt, this.runNames.get(runMasks.runDir));
    return out.detail;
  }

  private async gtDetail(id: string): Promise<{ detail: ImageDetail; gt: ClassMask | null }> {
    const ds = this.requireDataset();
    const i = ds.ids.indexOf(id);
    const labels = i >= 0 ? ds.labels[i] : [];
    const out: ImageDetail = { id, width: 0, height: 0, maskUrl: null, maskProblem: null, maskClasses: [], labels };
    const file = ds.imageFiles.get(id);
    if (!file) {
      out.error = `The image file JPEGImages/${id}.jpg is missing.`;
    } else {
      try {
        const photo = await readPhoto(path.join(ds.root, IMAGES_DIR, file));
        Object.assign(out, { imageUrl: photo.url, width: photo.width, height: photo.height });
      } catch (e) {
        out.error = (e as Error).message;
      }
    }
    const maskFile = ds.maskFiles.get(id);
    if (!maskFile) {
      out.maskProblem = `No ground-truth mask for ${id} (looked in SegmentationClass/ and SegmentationClassAug/).`;
      return { detail: out, gt: null };
    }
    try {
      const mask = await readClassMask(maskFile, ds.classes.length || undefined);
      if (out.width && (mask.width !== out.width || mask.height !== out.height)) {
        out.maskProblem = `Mask ${maskFile} is ${mask.width}x${mask.height} but the image is ${out.width}x${out.height}.`;
        return { detail: out, gt: null };
      }
      out.maskUrl = await maskToPng(mask);
      out.maskClasses = classFractions(mask);
      if (!out.width) ({ width: out.width, height: out.height } = mask);
      return { detail: out, gt: mask };
    } catch (e) {
      out.maskProblem = (e as Error).message;
      return { detail: out, gt: null };
    }
  }
}

/** The snapshot part of an open dataset (the file maps stay in the host). */
function publicView(ds: OpenDataset): DatasetSnapshot {
  const { imageFiles: _i, maskFiles: _m, ...view } = ds;
  return view;
}
