// Where tests find the project, the shared data and the folder their artefacts go to.
// Compiled to out/test/support/paths.js, so the project root is three levels up from the compiled file;
// WSSS_REPO_ROOT overrides it (the runner sets it for code that runs elsewhere, e.g. in the extension host).
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'engine'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no WSSS Studio project root (package.json + engine/) above ${start}`);
    dir = parent;
  }
}

/** The project root (the folder holding package.json and engine/). */
export const repoRoot: string = process.env.WSSS_REPO_ROOT ?? findRepoRoot(__dirname);

/** The shared data folder: $WSSS_SHARED_DIR, else ../shared beside the project (see docs/ARCHITECTURE.md). */
export function sharedDir(): string {
  return path.resolve(process.env.WSSS_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'));
}

/** test-results/ (git-ignored; CI keeps it): screenshots, logs and run folders of failed tests. */
export function testResultsDir(...sub: string[]): string {
  const dir = path.join(process.env.WSSS_TEST_RESULTS ?? path.join(repoRoot, 'test-results'), ...sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The Python interpreter of the engine's venv (scripts/setup-engine.sh), or $WSSS_PYTHON. */
export function enginePython(): string {
  return process.env.WSSS_PYTHON ?? path.join(repoRoot, '.venv', 'bin', 'python');
}
