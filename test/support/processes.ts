// Which processes descend from a process, read from /proc (Linux): how the integration tests see whether the
// extension spawned a Python engine without asking the extension, and how stop() finds what code-server left.
// The engine daemon is detached on purpose (no descendant): found and stopped through its state folder.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  argv: string[];
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [, ppid, pgid] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid, pgid, argv };
  } catch {
    return undefined; // exited while we looked
  }
}

/** Every live descendant of `root` (children, grandchildren, ...), including those in other process groups. */
export function descendants(root: number = process.pid): ProcessInfo[] {
  const all = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProcess(Number(d)))
    .filter((p): p is ProcessInfo => p !== undefined);
  const found: ProcessInfo[] = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        frontier.push(p.pid);
      }
    }
  }
  return found;
}

/** Descendants running a Python interpreter (the engine, or a probe of an interpreter). */
export function pythonDescendants(root: number = process.pid): ProcessInfo[] {
  return descendants(root).filter((p) => p.argv.length > 0 && /^python[\d.]*$/.test(path.basename(p.argv[0])));
}

/** The engine daemon serving `stateDir` (its daemon.pid, checked to be a live wsss_engine daemon), if any. */
export function engineDaemon(stateDir: string): ProcessInfo | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(stateDir, 'daemon.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
  const info = Number.isInteger(pid) && pid > 0 ? readProcess(pid) : undefined;
  return info?.argv.includes('wsss_engine') && info.argv.includes('daemon') ? info : undefined;
}

/** Stops the daemon of `stateDir` and its process group: SIGTERM (its runs save checkpoints), SIGKILL after
 *  `graceMs`. Tests call it so that no daemon they started outlives them. */
export async function stopEngineDaemon(stateDir: string, graceMs = 10_000): Promise<void> {
  const daemon = engineDaemon(stateDir);
  if (!daemon) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-daemon.pgid, signal);
    } catch {
      /* already gone */
    }
  };
  signalGroup('SIGTERM');
  const end = Date.now() + graceMs;
  while (readProcess(daemon.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  signalGroup('SIGKILL');
}
