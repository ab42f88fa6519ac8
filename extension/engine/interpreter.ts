// Finding the Python that runs the engine: the "wsss.pythonPath" setting, then <workspace>/.venv, then the
// extension's own .venv. Each candidate is validated by running it (argument array, no shell) with `-c`
// importing wsss_engine. No `vscode` import: the caller passes the setting and folders in.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Where a candidate interpreter came from, for messages. */
export type InterpreterSource = 'setting' | 'workspace' | 'extension';

/** An interpreter that imports wsss_engine and has PyTorch. */
export interface EnginePython {
  pythonPath: string;
  source: InterpreterSource;
  pythonVersion: string;
  engineVersion: string;
  hasTorch: true;
}

/** Everything discovery needs to know, passed in so the logic stays free of `vscode`. */
export interface InterpreterQuery {
  /** The "wsss.pythonPath" setting ("" when unset). */
  setting: string;
  workspaceFolders: readonly string[];
  extensionPath: string;
  /** Environment to validate with (PYTHONPATH may point at the extension's engine/ source). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** No usable interpreter: says every candidate tried, why it failed, and the fix. */
export class InterpreterNotFoundError extends Error {
  override readonly name = 'InterpreterNotFoundError';
  constructor(readonly tried: readonly { pythonPath: string; problem: string }[]) {
    const lines = tried.length
      ? tried.map((t) => `  ${t.pythonPath}: ${t.problem}`).join('\n')
      : '  (no "wsss.pythonPath" setting and no .venv in the workspace or the extension)';
    super(
      `No Python with the WSSS engine (wsss_engine) was found. Tried:\n${lines}\n` +
        'Fix: run "WSSS: Set Up Engine" from the Command Palette (it creates the extension\'s .venv with the ' +
        'engine and PyTorch; in a checkout of the repository, scripts/setup-engine.sh does the same), ' +
        'or set "wsss.pythonPath" to a Python that can `import wsss_engine`.',
    );
  }
}

/** The interpreter inside a virtual environment folder (POSIX bin/python, Windows Scripts\python.exe). */
export function venvPython(root: string): string {
  return process.platform === 'win32'
    ? path.join(root, '.venv', 'Scripts', 'python.exe')
    : path.join(root, '.venv', 'bin', 'python');
}

/** Candidates in priority order; an explicit setting is the only candidate, so it is never silently ignored. */
export function interpreterCandidates(query: InterpreterQuery): { pythonPath: string; source: InterpreterSource }[] {
  const setting = query.setting.trim();
  if (setting) {
    const resolved = path.isAbsolute(setting) || !query.workspaceFolders[0]
      ? setting
      : path.resolve(query.workspaceFolders[0], setting);
    return [{ pythonPath: resolved, source: 'setting' }];
  }
  const candidates = [
    ...query.workspaceFolders.map((folder) => ({ pythonPath: venvPython(folder), source: 'workspace' as const })),
    { pythonPath: venvPython(query.extensionPath), source: 'extension' as const },
  ];
  return candidates.filter((c, i) => candidates.findIndex((d) => d.pythonPath === c.pythonPath) === i);
}

// Prints one JSON line; never raises, so every failure comes back as a named problem.
const PROBE = [
  'import json, sys, importlib.util',
  'out = {"python": sys.version.split()[0]}',
  'try:',
  '    import wsss_engine',
  '    out["engine"] = getattr(wsss_engine, "__version__", "unknown")',
  'except Exception as e:',
  '    out["error"] = "cannot import wsss_engine (%s: %s)" % (type(e).__name__, e)',
  'out["torch"] = importlib.util.find_spec("torch") is not None',
  'print(json.dumps(out))',
].join('\n');

/** Runs `pythonPath -c PROBE`; resolves the interpreter, or a problem in words. */
export function probeInterpreter(
  pythonPath: string,
  env: NodeJS.ProcessEnv | undefined,
  timeoutMs: number,
): Promise<{ ok: true; pythonVersion: string; engineVersion: string; hasTorch: boolean } | { ok: false; problem: string }> {
  return new Promise((resolve) => {
    execFile(pythonPath, ['-c', PROBE], { env, timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const lastLine = stdout.trim().split('\n').pop() ?? '';
      let parsed: { python?: string; engine?: string; error?: string; torch?: boolean } | undefined;
      try {
        parsed = JSON.parse(lastLine);
      } catch {
        parsed = undefined;
      }
      if (parsed?.engine && !error) {
        resolve({ ok: true, pythonVersion: parsed.python ?? '?', engineVersion: parsed.engine, hasTorch: !!parsed.torch });
      } else if (parsed?.error) {
        resolve({ ok: false, problem: `Python ${parsed.python ?? '?'} runs, but ${parsed.error}` });
      } else {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        const why = code === 'ENOENT' ? 'no such file'
          : code === 'EACCES' ? 'not executable'
          : error?.killed ? `did not finish within ${timeoutMs} ms`
          : `did not run (${(stderr.trim().split('\n').pop() || error?.message || 'no output').slice(0, 300)})`;
        resolve({ ok: false, problem: why });
      }
    });
  });
}

/** The first candidate that imports wsss_engine and has torch; InterpreterNotFoundError listing every failure otherwise. */
export async function findEnginePython(query: InterpreterQuery): Promise<EnginePython> {
  const tried: { pythonPath: string; problem: string }[] = [];
  for (const candidate of interpreterCandidates(query)) {
    if (candidate.source !== 'setting' && !existsSync(candidate.pythonPath)) continue;
    const probe = await probeInterpreter(candidate.pythonPath, query.env, query.timeoutMs ?? 20_000);
    if (probe.ok && probe.hasTorch) {
      return { ...candidate, pythonVersion: probe.pythonVersion, engineVersion: probe.engineVersion, hasTorch: true };
    }
    const problem = probe.ok ? `Python ${probe.pythonVersion} imports wsss_engine, but PyTorch (torch) is not installed` : probe.problem;
    tried.push({ pythonPath: candidate.pythonPath, problem });
  }
  throw new InterpreterNotFoundError(tried);
}

/**
 * The engine's environment: the extension's own engine/ source first on PYTHONPATH when it ships one,
 * so the engine always speaks this extension's protocol version.
 */
export function engineEnvironment(extensionPath: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const engineSource = path.join(extensionPath, 'engine');
  if (!existsSync(path.join(engineSource, 'wsss_engine'))) return { ...base, PYTHONUNBUFFERED: '1' };
  const existing = base.PYTHONPATH ? [base.PYTHONPATH] : [];
  return { ...base, PYTHONUNBUFFERED: '1', PYTHONPATH: [engineSource, ...existing].join(path.delimiter) };
}
