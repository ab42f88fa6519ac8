// Reading a run folder the way the extension does (docs/ARCHITECTURE.md "Run folder"), for assertions.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RunJson {
  formatVersion: number;
  id: string;
  status: 'created' | 'running' | 'completed' | 'failed' | 'cancelled';
  synthetic: boolean;
  stages: { id: string; type: string; status: string; summary?: Record<string, unknown> }[];
  error: { kind: string; message: string; hint?: string } | null;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function readRunJson(runDir: string): RunJson | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8')) as RunJson;
  } catch {
    return undefined; // not written yet (it is written atomically, so never half-written)
  }
}

/** Polls run.json until its status is terminal; `onPoll` runs at each poll (e.g. to watch processes). */
export async function waitForRunEnd(runDir: string, timeoutMs: number, onPoll?: () => void): Promise<RunJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    onPoll?.();
    const run = readRunJson(runDir);
    if (run && TERMINAL.has(run.status)) return run;
    if (Date.now() > deadline) {
      throw new Error(
        `run ${runDir} did not finish within ${timeoutMs / 1000} s (status: ${run?.status ?? 'no run.json'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** metrics.jsonl parsed line by line (throws on a malformed line). */
export function readMetrics(runDir: string): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`metrics.jsonl line ${i + 1}: ${String(e)}`);
      }
    });
}

/** Copies the small, readable parts of a run (JSON, JSONL, reports) into `dest` for CI artefacts. */
export function keepRunArtefacts(runDir: string, dest: string): void {
  if (!fs.existsSync(runDir)) return;
  fs.cpSync(runDir, dest, {
    recursive: true,
    filter: (src) => fs.statSync(src).isDirectory() || /\.(json|jsonl|txt|log)$/.test(src),
  });
}
