// The engine's stderr split into lines: every line goes to the output channel, and the last few are
// kept for the crash message (a Python traceback ends there). No `vscode` import.

export class StderrTail {
  private readonly kept: string[] = [];
  private partial = '';

  constructor(private readonly capacity: number) {}

  /** Adds a chunk of stderr; calls `onLine` for each complete line. */
  push(chunk: string, onLine: (line: string) => void): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.keep(line, onLine);
  }

  /** Emits the unterminated last line, if any (when the process has ended). */
  flush(onLine: (line: string) => void): void {
    if (this.partial) this.keep(this.partial, onLine);
    this.partial = '';
  }

  /** The last `capacity` lines, oldest first. */
  lines(): readonly string[] {
    return [...this.kept];
  }

  private keep(line: string, onLine: (line: string) => void): void {
    this.kept.push(line);
    if (this.kept.length > this.capacity) this.kept.shift();
    onLine(line);
  }
}
