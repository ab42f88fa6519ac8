// Spawning the engine in its own process group and killing that whole group: the engine may start
// helpers (DataLoader workers, torchrun), and none of them may outlive it. No `vscode` import.
import { spawn, execFile, type ChildProcess } from 'node:child_process';

/** Spawns `command args` (an argument array, never a shell string) as the leader of a new process group. */
export function spawnGroupLeader(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): ChildProcess {
  return spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    // POSIX: a new process group whose id is the child's pid, so kill(-pid) reaches every descendant.
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
}

/** Sends `signal` to the process group led by `pid` (Windows: taskkill /T). False when nothing was there. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (process.platform === 'win32') {
    execFile('taskkill', ['/pid', String(pid), '/T', ...(signal === 'SIGKILL' ? ['/F'] : [])], () => undefined);
    return true;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false; // the group is already gone
    throw error;
  }
}

/** True while any process of the group led by `pid` is alive (POSIX; signal 0 probes without killing). */
export function groupAlive(pid: number): boolean {
  if (process.platform === 'win32') return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves true when `exited` settles within `ms`, false otherwise. */
export async function settlesWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
