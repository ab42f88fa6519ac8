/**
 * Host logic of the CAM overlay panel (no `vscode` import: the webview tests run it in Node). Finds runs,
 * lists images with CAMs, reads one image's CAM file + photo, saves exported PNGs. Colouring, the
 * threshold and the pseudo mask happen in the webview, so sliders need no round trip.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CamContract, CamRunInfo, CamSnapshot, CamSource, CamView } from '../../../protocol/webview/cam';
import type { RequestUnion } from '../../../protocol/webview/common';
import { IMAGES_DIR, imageFileOf } from '../../dataset/vocLayout';
import { findRunFolders, runLabels, runSearchRoots } from '../../runs/runFolder';
import type { PanelEnvironment } from '../panelHost';
import { camBytes, readPhoto } from '../photoImage';
import { RpcError, type PanelHandler } from '../panelRpc';
import { readCamFile } from './camFile';
import { readChainMaps } from './chainMaps';
import { readCamRun, selectedWord, type CamRun } from './camRuns';
import { WordCamCompare } from './wordCamCompare';

export class CamOverlays implements PanelHandler<CamContract> {
  private readonly runs = new Map<string, CamRun>();
  private readonly problems: string[] = [];
  private readonly added = new Set<string>();

  constructor(
    private readonly env: PanelEnvironment,
    private readonly initialRun?: string,
    private readonly wordCam = new WordCamCompare(),
  ) {
    if (initialRun) this.added.add(path.resolve(initialRun));
  }

  async snapshot(restored: CamContract['state'] | null): Promise<CamSnapshot> {
    for (const side of [restored?.left, restored?.right]) if (side?.runDir) this.added.add(side.runDir);
    return this.refresh();
  }

  async handleRequest(request: RequestUnion<CamContract['requests']>): Promise<unknown> {
    switch (request.method) {
      case 'cam/addRun': {
        const dir =
          request.params.runDir ??
          (await this.env.pickFolder('Add a run folder (holding run.json)', this.env.runsDirectory?.()));
        if (dir) this.added.add(path.resolve(dir));
        return this.refresh();
      }
      case 'cam/images':
        return this.images(request.params);
      case 'cam/view':
        return this.view(request.params, request.params.id);
      case 'cam/chain':
        return readChainMaps(await this.run(request.params.runDir), request.params.id);
      case 'cam/exportPng':
        return this.exportPng(request.params.fileName, request.params.dataUrl);
      case 'cam/wordCam':
        return this.wordCam.compare(request.params);
      default:
        throw new RpcError(
          'unknownMethod',
          `The CAM panel has no request '${(request as { method: string }).method}'.`,
        );
    }
  }

  private async refresh(): Promise<CamSnapshot> {
    const dirs = new Set([
      ...(await findRunFolders(
        runSearchRoots(this.env.runsDirectory?.(), this.env.workspaceFolders, this.env.runSearchFolders?.()),
      )),
      ...this.added,
    ]);
    this.problems.length = 0;
    const read: CamRun[] = [];
    for (const dir of [...dirs].sort()) {
      const run = await readCamRun(dir);
      this.runs.set(dir, run);
      read.push(run);
    }
    // Runs of one name (a resumed copy, the same config twice) are told apart as in every other view.
    const labels = runLabels(read.flatMap((r) => (r.record ? [{ dir: r.runDir, record: r.record }] : [])));
    for (const r of read) r.name = labels.get(r.runDir) ?? r.name;
    const runs = read.map(publicInfo);
    return {
      runs,
      problems: [...this.problems],
      initialRun: this.initialRun ? path.resolve(this.initialRun) : null,
      wordCamUnavailable: this.wordCam.unavailable(),
    };
  }

  private async run(runDir: string): Promise<CamRun> {
    let run = this.runs.get(runDir);
    if (!run) {
      run = await readCamRun(runDir);
      this.runs.set(runDir, run);
    }
    return run;
  }

  private async images(src: CamSource): Promise<{ ids: string[]; problem: string | null }> {
    const run = await this.run(src.runDir);
    if (run.problem) return { ids: [], problem: run.problem };
    const dir = path.join(src.runDir, 'cams', src.set);
    const files = await fs.readdir(dir).catch(() => null);
    if (!files) return { ids: [], problem: `No CAM set ${dir}.` };
    const ids = files
      .filter((f) => f.endsWith('.npy') && !f.startsWith('.'))
      .map((f) => f.slice(0, -4))
      .sort();
    return { ids, problem: ids.length ? null : `The CAM set ${dir} has no .npy files yet.` };
  }

  private async view(src: CamSource, id: string): Promise<CamView> {
    const run = await this.run(src.runDir);
    const out: CamView = {
      id,
      imageUrl: null,
      imageProblem: null,
      width: 0,
      height: 0,
      mapWidth: 0,
      mapHeight: 0,
      cams: [],
      problem: null,
      note: null,
    };
    await this.photo(run, id, out);
    try {
      const cam = await readCamFile(path.join(src.runDir, 'cams', src.set, `${id}.npy`));
      out.mapWidth = cam.width;
      out.mapHeight = cam.height;
      if (!out.width) Object.assign(out, { width: cam.width, height: cam.height });
      if (cam.lowResOnly) out.note = 'Only the stride-4 CAM is stored (older run): shown upsampled.';
      else if (cam.width !== out.width || cam.height !== out.height)
        out.note = `The CAM is ${cam.width}×${cam.height} but the photo is ${out.width}×${out.height}: stretched to fit.`;
      for (let k = 0; k < cam.keys.length; k++) {
        const index = cam.keys[k];
        const name = run.classes[index] ?? `class ${index}`;
        const mode = run.setPrompts[src.set] ?? run.prompt;
        const word = await selectedWord(run, mode, id, name, src.set);
        out.cams.push({ index, name, word, map: camBytes(cam.maps[k]) });
      }
      if (!cam.keys.length) out.note = 'This image has no foreground class in its CAM file.';
    } catch (e) {
      out.problem = (e as Error).message;
    }
    return out;
  }

  private async photo(run: CamRun, id: string, out: CamView): Promise<void> {
    if (!run.datasetRoot) {
      out.imageProblem = "The run's dataset root was not found: the CAM is shown on a blank background.";
      return;
    }
    const file = await imageFileOf(run.datasetRoot, id);
    if (!file) {
      out.imageProblem = `No photo ${path.join(run.datasetRoot, IMAGES_DIR, id)}.jpg.`;
      return;
    }
    try {
      const photo = await readPhoto(file);
      Object.assign(out, { imageUrl: photo.url, width: photo.width, height: photo.height });
    } catch (e) {
      out.imageProblem = (e as Error).message;
    }
  }

  private async exportPng(fileName: string, dataUrl: string): Promise<{ path: string | null }> {
    const m = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
    if (!m) throw new RpcError('badInput', 'The export is not a PNG data: URI.');
    const safeName = path.basename(fileName).replace(/[^\w.-]+/g, '_') || 'cam.png';
    const saved = await this.env.saveFile(
      safeName.endsWith('.png') ? safeName : `${safeName}.png`,
      Buffer.from(m[1], 'base64'),
    );
    if (saved) this.env.log(`CAM overlay exported to ${saved}`);
    return { path: saved ?? null };
  }
}

/** A CAM map (0..1) as base64 bytes (0..255). */

function publicInfo(run: CamRun): CamRunInfo {
  const { classes: _c, selection: _s, selectionFile: _f, record: _r, ...info } = run;
  return info;
}
