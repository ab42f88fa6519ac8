// Starts code-server 4.100.3 (a real VS Code: workbench + Node extension host) on a free loopback port,
// in its own process group with its own config, user-data and extensions folders; stop() kills the group.
// Recipe: docs/DESIGN.md#testing-in-a-real-vs-code. The binary comes from scripts/install-test-deps.sh (.code-server/).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, testResultsDir } from './paths';
import { descendants, stopEngineDaemon } from './processes';

export interface CodeServerOptions {
  /** Folder opened as the workspace. */
  workspace: string;
  /** false (default) passes --disable-workspace-trust; true keeps VS Code's workspace trust on. */
  workspaceTrust?: boolean;
  /** Written to <user-data>/User/settings.json. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** test-results/<group>/ receives code-server.log. Default "code-server". */
  group?: string;
  /** How long to wait for the server to answer. Default 60 s. */
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  host: string;
  port: number;
  pid: number;
  userDataDir: string;
  logFile: string;
  /** The engine daemon's folder ($WSSS_ENGINE_STATE_DIR of the extension host): this server's own, so tests
   *  never reach the user's daemon; stop() stops the daemon there. */
  engineStateDir: string;
  /** Resolves with the exit code or signal if code-server's main process ends (before or after stop()). */
  exited: Promise<string>;
  /** Kills the whole process group (SIGTERM, then SIGKILL) and deletes the temp folders. Safe to call twice. */
  stop(): Promise<void>;
}

export function codeServerBin(): string {
  const bin =
    process.env.WSSS_CODE_SERVER ?? path.join(repoRoot, '.code-server', 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `code-server not found at ${bin}: run \`bash scripts/install-test-deps.sh\` or set WSSS_CODE_SERVER`,
    );
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const bin = codeServerBin();
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-code-server-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  const engineStateDir = options.env?.WSSS_ENGINE_STATE_DIR ?? path.join(tmp, 'engine');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir);
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        ...options.settings,
      },
      null,
      2,
    ),
  );
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, `bind-addr: ${host}\nauth: none\ncert: false\n`);

  const args = [
    '--bind-addr',
    host,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--config',
    configFile,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    options.workspace,
  ];
  const logFile = path.join(testResultsDir(options.group ?? 'code-server'), 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  // detached: a new process group, so stop() reaches the helpers code-server leaves behind.
  const child = spawn(bin, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, WSSS_ENGINE_STATE_DIR: engineStateDir, ...options.env },
  });
  fs.closeSync(log);
  const pid = child.pid!;
  const exitedPromise = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(String(code ?? signal)));
  });
  const onExit = () => killGroup(pid, 'SIGKILL');
  process.once('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    // Processes in groups of their own (the engine is spawned as a group leader) are not reached by the
    // group kill: note every descendant first, and kill those still there at the end.
    const others = descendants(pid).filter((p) => p.pgid !== pid);
    killGroup(pid, 'SIGTERM');
    for (let i = 0; i < 50 && !exited(child); i++) await new Promise((r) => setTimeout(r, 100));
    killGroup(pid, 'SIGKILL'); // helpers (extension host, pty host) may outlive the main process
    for (const p of others) {
      // a group leader takes its group along (the engine's DataLoader workers); anything else goes alone
      try {
        process.kill(p.pgid === p.pid ? -p.pid : p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await stopEngineDaemon(engineStateDir); // detached on purpose (it outlives windows): not a descendant
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  const url = `http://${host}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await httpOk(`${url}/healthz`))) {
    if (exited(child) || Date.now() > deadline) {
      const why = exited(child) ? `exited with ${child.exitCode ?? child.signalCode}` : 'did not answer in time';
      await stop();
      throw new Error(`code-server ${why} (${bin} on ${host}); log: ${logFile}\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, host, port, pid, userDataDir, logFile, engineStateDir, exited: exitedPromise, stop };
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
