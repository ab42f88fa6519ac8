// Compiles the TypeScript tests that run as JavaScript (integration, webview, support) into out/test/,
// one bundle per file (local imports inlined; npm packages and `vscode` stay external), CommonJS for Node 20
// and VS Code's extension host. Type checking is `npm run typecheck` (tsc). Usage: node test/build.mjs
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['test/support', 'test/integration', 'test/webview'];

function tsFiles(dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

const outdir = path.join(root, 'out', 'test');
// One build per folder, so that a broken file in one suite does not keep the others from running.
let failed = 0;
let count = 0;
for (const dir of DIRS) {
  fs.rmSync(path.join(root, 'out', dir), { recursive: true, force: true });
  const entryPoints = tsFiles(dir);
  if (entryPoints.length === 0) continue;
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints,
      outbase: 'test',
      outdir,
      bundle: true,
      packages: 'external',
      external: ['vscode'],
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'inline',
      logLevel: 'error',
    });
    count += entryPoints.length;
  } catch {
    failed++;
    console.error(`test/build.mjs: ${dir} did not compile (errors above)`);
  }
}
console.log(
  `test/build.mjs: ${count} test files -> ${path.relative(root, outdir)}/${failed ? `; ${failed} folder(s) failed` : ''}`,
);
process.exit(failed ? 1 : 0);
