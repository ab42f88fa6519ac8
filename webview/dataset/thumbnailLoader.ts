/**
 * Fetches thumbnails for the ids in view, in view order, in small batches with at most three requests in
 * flight; ids that scrolled away before their turn are skipped. Keeps the most recent ones in memory.
 */
import type { Thumbnail } from '../../protocol/webview/dataset';

const BATCH = 8;
const IN_FLIGHT = 3;
const KEEP = 3000;

export class ThumbnailLoader {
  private readonly cache = new Map<string, Thumbnail>();
  private readonly requested = new Set<string>();
  private wanted: string[] = [];
  private inFlight = 0;
  private generation = 0;

  constructor(
    private readonly fetch: (ids: string[]) => Promise<Thumbnail[]>,
    private readonly onLoaded: (thumb: Thumbnail) => void,
    private readonly onFailed: (message: string) => void,
  ) {}

  get(id: string): Thumbnail | undefined {
    return this.cache.get(id);
  }

  /** The ids now in view, most important first; replaces the previous wish list. */
  want(ids: string[]): void {
    this.wanted = ids.filter((id) => !this.cache.has(id) && !this.requested.has(id));
    this.pump();
  }

  /** Forget everything (a new dataset was opened); answers still in flight are ignored. */
  reset(): void {
    this.generation++;
    this.cache.clear();
    this.requested.clear();
    this.wanted = [];
    this.inFlight = 0;
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.wanted.length > 0) {
      const batch = this.wanted.splice(0, BATCH);
      for (const id of batch) this.requested.add(id);
      this.inFlight++;
      const generation = this.generation;
      this.fetch(batch)
        .then(
          (thumbs) => {
            if (generation !== this.generation) return;
            for (const t of thumbs) this.store(t);
          },
          (e: Error) => {
            if (generation !== this.generation) return;
            for (const id of batch) this.requested.delete(id);
            this.onFailed(`Thumbnails could not be loaded: ${e.message}`);
          },
        )
        .finally(() => {
          if (generation !== this.generation) return;
          this.inFlight--;
          this.pump();
        });
    }
  }

  private store(thumb: Thumbnail): void {
    this.requested.delete(thumb.id);
    if (thumb.error === 'cancelled') return;
    this.cache.set(thumb.id, thumb);
    if (this.cache.size > KEEP) this.cache.delete(this.cache.keys().next().value!);
    this.onLoaded(thumb);
  }
}
