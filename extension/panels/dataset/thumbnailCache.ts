/**
 * Thumbnails for the dataset grid, made with sharp and cached on disk under <storage>/cache/thumbnails,
 * keyed by path + mtime + size (so an edited image gets a fresh thumbnail). Returned as data: URIs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import { toDataUri } from '../photoImage';

/** Grid cell size in CSS pixels; thumbnails are made at 2x for sharp rendering on HiDPI screens. */
export const THUMB_WIDTH = 144;
export const THUMB_HEIGHT = 108;
const SCALE = 2;
const FORMAT_VERSION = 2; // bump when the thumbnail recipe changes

export class ThumbnailCache {
  private readonly dir: string;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  /** Thumbnails being made, by cache key: a prefetch and a request for the same image share the work. */
  private readonly inFlight = new Map<string, Promise<string>>();
  private closed = false;

  constructor(
    storageDir: string,
    private readonly concurrency = 4,
  ) {
    this.dir = path.join(storageDir, 'cache', 'thumbnails');
  }

  /** JPEG thumbnail of an image file as a data: URI; throws with the file named when it cannot be read. */
  async get(file: string): Promise<string> {
    const stat = await fs.stat(file);
    const key = createHash('sha1')
      .update(`${FORMAT_VERSION}\0${path.resolve(file)}\0${stat.mtimeMs}\0${stat.size}`)
      .digest('hex');
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.load(file, path.join(this.dir, key.slice(0, 2), `${key}.jpg`)).finally(() =>
        this.inFlight.delete(key),
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Make thumbnails ahead of the webview's first request (the first screen of a freshly opened list). */
  prefetch(files: string[]): void {
    for (const f of files) this.get(f).catch(() => undefined); // errors surface when the webview asks
  }

  /** The panel closed: finish nothing more (queued work is dropped, nothing more is written). */
  close(): void {
    this.closed = true;
    this.queue.splice(0).forEach((resume) => resume());
  }

  /** Resolves when no thumbnail is being made (tests wait for it before deleting the cache folder). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  private async load(file: string, cached: string): Promise<string> {
    const hit = await fs.readFile(cached).catch(() => null);
    if (hit) return toDataUri(hit);
    const bytes = await this.limited(() => {
      if (this.closed) throw new Error('the panel was closed');
      return makeThumbnail(file);
    });
    if (!this.closed) await writeAtomically(cached, bytes).catch(() => undefined); // a cache that cannot be written only costs speed
    return toDataUri(bytes);
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

async function makeThumbnail(file: string): Promise<Buffer> {
  try {
    return await sharp(file, { failOn: 'error' })
      // no .rotate(): masks and CAMs are in the stored pixel orientation, as the engine (PIL) reads it
      .resize(THUMB_WIDTH * SCALE, THUMB_HEIGHT * SCALE, { fit: 'cover', fastShrinkOnLoad: true })
      .jpeg({ quality: 72, mozjpeg: false })
      .toBuffer();
  } catch (e) {
    throw new Error(`unreadable image ${file}: ${(e as Error).message}`);
  }
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, file);
}
