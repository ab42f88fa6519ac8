/**
 * TensorBoard for a run's events (MetricsLog writes them to <run>/events/, tags "<stage>/<name>";
 * engine/wsss_engine/runs/metrics.py): started from the engine's Python as `python -m tensorboard.main`
 * with an argument array (no shell), on a free loopback port, and kept for the session (one per run).
 * No `vscode` import: the command (./openTensorBoard.ts) and the tests drive it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** What went wrong, apart from what to do about it (shown as message + hint). */
export class TensorBoardError extends Error {
  override readonly name = 'TensorBoardError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** <run>/events, checked to hold TensorBoard event files. */
export async function eventsDirOf(runDir: string): Promise<string> {
  const dir = path.join(runDir, 'events');
  const files = await fs.readdir(dir).catch(() => null);
  if (!files?.some((f) => f.startsWith('events.out.tfevents.'))) {
    throw new TensorBoardError(
      `The run ${path.basename(runDir)} has no TensorBoard events yet (${dir}).`,
      'They appear once a stage logs its first metrics; metrics.jsonl and the mIoU report show the same curves.',
    );
  }
  return dir;
}

/** TensorBoard's version in `python`, or a TensorBoardError saying how to install it. */
export function tensorBoardVersion(python: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-c', 'import tensorboard; print(tensorboard.__version__)'],
      { timeout: timeoutMs },
      (error, stdout) => {
        if (!error) return resolve(stdout.trim());
        reject(
          new TensorBoardError(
            `TensorBoard is not installed in the engine's Python (${python}).`,
            `Install it into that environment: "${python}" -m pip install tensorboard — then run the command again.`,
          ),
        );
      },
    );
  });
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** A TensorBoard serving one run's events. */
export interface TensorBoardServer {
  url: string;
  logdir: string;
  process: ChildProcess;
  dispose(): void;
}

/** Start TensorBoard on `logdir`; resolves once it answers HTTP, rejects with its stderr if it exits first. */
export async function launchTensorBoard(
  python: string,
  logdir: string,
  timeoutMs = 90_000,
): Promise<TensorBoardServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(
    python,
    [
      '-m',
      'tensorboard.main',
      '--logdir',
      logdir,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--reload_interval',
      '5',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], shell: false },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const server: TensorBoardServer = {
    url,
    logdir,
    process: child,
    dispose: () => {
      if (exited === undefined) child.kill();
    },
  };
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (exited !== undefined) {
      throw new TensorBoardError(
        `TensorBoard exited (code ${exited}) before serving ${logdir}: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
        'See the WSSS Engine output for its full message; check the events folder is readable.',
      );
    }
    if (await answers(url)) return server;
    await new Promise((r) => setTimeout(r, 250));
  }
  server.dispose();
  throw new TensorBoardError(
    `TensorBoard did not answer on ${url} within ${Math.round(timeoutMs / 1000)} s.`,
    'Try again; a first start can be slow while Python imports TensorBoard.',
  );
}

/** One TensorBoard per events folder for the session; a dead one is replaced. */
export class TensorBoards {
  private readonly servers = new Map<string, Promise<TensorBoardServer>>();

  open(python: string, logdir: string): Promise<TensorBoardServer> {
    const known = this.servers.get(logdir);
    if (known) {
      return known.then(
        (s) => (s.process.exitCode === null && !s.process.killed ? s : this.start(python, logdir)),
        () => this.start(python, logdir),
      );
    }
    return this.start(python, logdir);
  }

  private start(python: string, logdir: string): Promise<TensorBoardServer> {
    const started = launchTensorBoard(python, logdir);
    this.servers.set(logdir, started);
    started.catch(() => this.servers.delete(logdir));
    return started;
  }

  dispose(): void {
    for (const s of this.servers.values())
      void s.then(
        (x) => x.dispose(),
        () => undefined,
      );
    this.servers.clear();
  }
}
