// Running the extension's scripts/setup-engine.sh (the one home of the engine's setup steps, shipped in the
// .vsix) as a child process: bash and the script as an argument array (no shell string), WSSS_VENV set to the
// extension's .venv, output line by line, and cancellation killing its process group (pip included).
// No `vscode` import: test/unit/setupProcess.test.ts runs it for real.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** The setup's command line: bash and the script's path as separate arguments (nothing is parsed by a shell). */
export function setupCommand(extensionPath: string): { file: string; args: string[]; script: string } {
  const script = path.join(extensionPath, 'scripts', 'setup-engine.sh');
  return { file: 'bash', args: [script], script };
}

/** Runs the setup; resolves its exit code (null when killed), rejects when it cannot start. */
export function runSetup(
  extensionPath: string,
  onLine: (line: string) => void,
  token?: { isCancellationRequested: boolean; onCancellationRequested(listener: () => void): unknown },
): Promise<number | null> {
  const { file, args } = setupCommand(extensionPath);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: extensionPath,
      env: { ...process.env, WSSS_VENV: path.join(extensionPath, '.venv') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32', // its own process group: Cancel stops pip too
    });
    // One line buffer per stream: a partial stdout line must not swallow a stderr line.
    const buffers: string[] = [];
    const feed = (stream: NodeJS.ReadableStream) => {
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLine(line);
      });
      stream.on('end', () => buffers.push(pending));
    };
    feed(child.stdout);
    feed(child.stderr);
    child.on('error', reject);
    child.on('close', (code) => {
      for (const rest of buffers) if (rest.trim()) onLine(rest);
      resolve(code);
    });
    token?.onCancellationRequested(() => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        if (process.platform === 'win32') child.kill();
        else process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill();
      }
    });
  });
}
