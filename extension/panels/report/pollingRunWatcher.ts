// A RunWatcher on plain Node stat polling (fs.watchFile): used by the webview tests and wherever VS Code's
// FileSystemWatcher is not available. Polling, not inotify, because run folders often live on network
// file systems of GPU servers where change events never arrive.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Disposable, RunWatcher } from './reportSession';

export class PollingRunWatcher implements RunWatcher {
  constructor(private readonly intervalMs = 250) {}

  watch(runDir: string, onMetrics: () => void, onRunFiles: () => void): Disposable {
    const watched: [string, (curr: Stats, prev: Stats) => void][] = [
      [join(runDir, 'metrics.jsonl'), () => onMetrics()],
      [join(runDir, 'run.json'), () => onRunFiles()],
    ];
    for (const [path, listener] of watched) watchFile(path, { interval: this.intervalMs, persistent: false }, listener);
    return {
      dispose: () => {
        for (const [path, listener] of watched) unwatchFile(path, listener);
      },
    };
  }
}
