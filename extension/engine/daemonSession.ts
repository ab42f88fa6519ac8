// A window's connection to the engine daemon: one engine per user that outlives windows (docs/ARCHITECTURE.md,
// "Engine daemon"). `<python> -m wsss_engine daemon start` finds the daemon or starts it detached (its own
// session, its log in the state folder; a lock makes two windows starting at once share one), then this
// connects to its Unix socket and speaks the same JSON-RPC as a spawned engine. Ending the session closes the
// connection only: the daemon's runs go on and the next window reattaches to them. No `vscode` import.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { EngineConnection, type EngineRequester, type NotificationSink } from './engineConnection';
import { EngineDaemonError } from './engineErrors';
import type { EngineChannel, EngineLaunch, SessionExit, ShutdownLimits } from './engineSession';
import { settlesWithin } from './processTree';
import { StderrTail } from './stderrTail';

/** What `wsss_engine daemon start` prints. */
export interface DaemonInfo {
  socket: string;
  pid: number | null;
  log: string;
  started: boolean;
}

/** How often the daemon's log is polled for new lines (the window's output channel shows them). */
const LOG_POLL_MS = 1000;

/** Starting the daemon imports no torch; its first start on a slow disk still takes a few seconds. */
const START_TIMEOUT_MS = 90_000;

/** `<python> -m wsss_engine daemon <action>` with the window's interpreter and environment
 *  ($WSSS_ENGINE_STATE_DIR picks the folder): its exit code (null when it could not run) and output. */
function daemonCommand(
  launch: EngineLaunch,
  action: 'start' | 'status',
): Promise<{ code: number | null; stdout: string; said: string }> {
  return new Promise((resolve) => {
    execFile(
      launch.pythonPath,
      ['-m', 'wsss_engine', 'daemon', action],
      { env: launch.env, cwd: launch.cwd, timeout: START_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const said = (stderr || stdout || (error?.message ?? '')).trim().split('\n').slice(-4).join(' ');
        resolve({ code, stdout, said });
      },
    );
  });
}

/** Finds the daemon or starts it detached (a lock makes two windows starting at once share one). */
export async function ensureDaemon(launch: EngineLaunch): Promise<DaemonInfo> {
  const { code, stdout, said } = await daemonCommand(launch, 'start');
  try {
    if (code === 0) return JSON.parse(stdout.trim().split('\n').pop() ?? '') as DaemonInfo;
  } catch {
    // falls through: not the JSON line we expect
  }
  throw new EngineDaemonError(`could not be started with ${launch.pythonPath}: ${said}`, undefined);
}

/** True when a daemon answers (nothing is started): a window coming back reattaches only then. */
export async function daemonAnswers(launch: EngineLaunch): Promise<boolean> {
  return (await daemonCommand(launch, 'status')).code === 0;
}

export class DaemonSession implements EngineChannel {
  readonly shared = true;
  readonly exited: Promise<SessionExit>;
  private readonly connection: EngineConnection;
  /** The daemon log's last lines, for the message when the connection is lost. */
  private readonly logTail = new StderrTail(20);

  private constructor(
    readonly info: DaemonInfo,
    private readonly socket: net.Socket,
    notify: NotificationSink,
    onLine: (line: string) => void,
  ) {
    this.connection = new EngineConnection(socket, socket, notify);
    const stopTail = this.tailLog(onLine);
    this.exited = new Promise<SessionExit>((resolve) => {
      socket.once('close', () => {
        stopTail();
        this.connection.close(() => this.exitError());
        resolve({ code: null, signal: null });
      });
    });
    socket.on('error', () => undefined); // 'close' follows and reports it
  }

  /** The daemon's log from now on, line by line, to `onLine` (the engine log every window shows). */
  private tailLog(onLine: (line: string) => void): () => void {
    let offset = fileSize(this.info.log);
    const poll = () => {
      const size = fileSize(this.info.log);
      if (size < offset) offset = 0; // a new log (the daemon was restarted)
      if (size === offset) return;
      const fd = fs.openSync(this.info.log, 'r');
      try {
        const chunk = Buffer.alloc(Math.min(size - offset, 1 << 20));
        offset += fs.readSync(fd, chunk, 0, chunk.length, offset);
        this.logTail.push(chunk.toString('utf8'), onLine);
      } finally {
        fs.closeSync(fd);
      }
    };
    const timer = setInterval(() => {
      try {
        poll();
      } catch {
        // the log is gone or unreadable: the output channel just misses those lines
      }
    }, LOG_POLL_MS);
    return () => clearInterval(timer);
  }

  /** Finds or starts the daemon, then connects to its socket. */
  static async open(launch: EngineLaunch, notify: NotificationSink, onLine: (line: string) => void): Promise<DaemonSession> {
    const info = await ensureDaemon(launch);
    onLine(
      `[wsss] ${info.started ? 'started' : 'found'} the engine daemon (pid ${info.pid ?? '?'}) on ${info.socket}; ` +
        `its log: ${info.log}`,
    );
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(info.socket);
      s.once('connect', () => resolve(s));
      s.once('error', (error) => reject(new EngineDaemonError(`did not accept a connection (${error.message})`, info.log)));
    });
    return new DaemonSession(info, socket, notify, onLine);
  }

  get pid(): number | undefined {
    return this.info.pid ?? undefined;
  }

  readonly request: EngineRequester = (method, params, timeoutMs, token) =>
    this.connection.request(method, params, timeoutMs, token);

  exitError(): Error {
    const tail = this.logTail.lines().slice(-5);
    const said = tail.length ? `; its log ends:\n${tail.join('\n')}\n` : '';
    return new EngineDaemonError(`(pid ${this.info.pid ?? '?'}) closed the connection${said}`, this.info.log);
  }

  markRunning(): void {
    // Nothing to track: the daemon's life is not this window's.
  }

  /** Leaves the daemon: closes the connection (its runs go on). */
  async shutdown(limits: ShutdownLimits): Promise<void> {
    this.socket.end();
    if (!(await settlesWithin(this.exited, Math.max(limits.politeMs, 500)))) this.socket.destroy();
    await this.exited;
  }

  /** The daemon is not this window's to kill. */
  killGroup(): void {}
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
