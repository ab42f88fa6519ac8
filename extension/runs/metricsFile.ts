// Incremental reading of <run>/metrics.jsonl (one JSON object per line: {"time","stage","step",...values}).
// Only complete lines are consumed: a line still being written stays for the next read. Lines that are
// not JSON objects are counted and skipped, never fatal. No `vscode` import.
// When a resumed stage logs again, the engine drops that stage's replayed lines by replacing the file
// atomically (engine/wsss_engine/runs/metrics.py): a new inode (or a shorter file) restarts the reading at 0,
// so a curve never doubles back.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One metrics.jsonl line. */
export interface MetricRecord {
  time: number;
  stage: string;
  step: number;
  /** Every other numeric field of the line (loss names, lr, miou, ...). */
  values: Record<string, number>;
}

/** What one read found. */
export interface MetricsChunk {
  records: MetricRecord[];
  /** Complete lines that were not valid metrics (damaged, or a partial write that was later abandoned). */
  skipped: { line: number; reason: string }[];
  /** True when the file was replaced (new inode) or got shorter than what was read before: reading restarted at 0. */
  restarted: boolean;
}

/** Reads new lines of one metrics.jsonl since the previous read. */
export class MetricsReader {
  readonly file: string;
  private offset = 0;
  private lineNumber = 0;
  private inode: number | undefined;

  constructor(runDir: string) {
    this.file = path.join(runDir, 'metrics.jsonl');
  }

  /** Lines appended since the last call (all lines on the first call); empty when the file does not exist. */
  async readNew(): Promise<MetricsChunk> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: [], restarted: false };
      throw error;
    }
    try {
      const { size, ino } = await handle.stat();
      let restarted = false;
      const replaced = this.inode !== undefined && ino !== this.inode;
      this.inode = ino;
      if (size < this.offset || (replaced && this.offset > 0)) {
        this.offset = 0;
        this.lineNumber = 0;
        restarted = true;
      }
      if (size === this.offset) return { records: [], skipped: [], restarted };
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a); // last complete line
      if (end < 0) return { records: [], skipped: [], restarted };
      this.offset += end + 1;
      const chunk = parseMetricLines(buffer.subarray(0, end).toString('utf8'), this.lineNumber);
      this.lineNumber += chunk.lines;
      return { records: chunk.records, skipped: chunk.skipped, restarted };
    } finally {
      await handle.close();
    }
  }
}

/** Parses complete metrics lines; `firstLine` numbers them (0-based count of lines before). */
export function parseMetricLines(
  text: string,
  firstLine = 0,
): { records: MetricRecord[]; skipped: { line: number; reason: string }[]; lines: number } {
  const records: MetricRecord[] = [];
  const skipped: { line: number; reason: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const number = firstLine + i + 1;
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      try {
        // Python's json writes NaN / Infinity (a diverged loss); keep the line, drop those values.
        value = JSON.parse(line.replace(/-?\bInfinity\b|\bNaN\b/g, 'null'));
      } catch {
        skipped.push({ line: number, reason: 'not valid JSON (truncated or damaged line)' });
        return;
      }
    }
    const record = toMetricRecord(value);
    if (typeof record === 'string') skipped.push({ line: number, reason: record });
    else records.push(record);
  });
  return { records, skipped, lines: lines.length };
}

/** A metrics record, or why the object is not one. */
function toMetricRecord(value: unknown): MetricRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { time, stage, step, ...rest } = value as Record<string, unknown>;
  if (typeof stage !== 'string') return 'no "stage" name';
  if (typeof step !== 'number') return 'no numeric "step"';
  const values: Record<string, number> = {};
  for (const [name, v] of Object.entries(rest)) if (typeof v === 'number' && Number.isFinite(v)) values[name] = v;
  return { time: typeof time === 'number' ? time : 0, stage, step, values };
}
