// Compiles every test/unit/**/*.test.ts with esbuild into a fresh out/unit-*/ and runs them with node:test.
// Usage: node test/unit/run.mjs [name-filter ...]   (e.g. `npm run test:unit -- engineProcess`)
// Test files are discovered, never listed by hand. Tests run one file at a time (the machines are small).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const unitDir = path.join(root, 'test/unit');
const filters = process.argv.slice(2);

const entries = readdirSync(unitDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (entries.length === 0) {
  console.error(`no unit tests match ${filters.join(' ') || '(all)'} under ${unitDir}`);
  process.exit(1);
}

// A fresh folder per run: several people (and CI jobs) may run the tests in one checkout at once.
mkdirSync(path.join(root, 'out'), { recursive: true });
const outDir = mkdtempSync(path.join(root, 'out/unit-'));
await build({
  entryPoints: entries.map((f) => path.join(unitDir, f)),
  outdir: outDir,
  outbase: unitDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  packages: 'external', // real node_modules at run time (vscode-jsonrpc, sharp, ...)
  logLevel: 'warning',
});

const files = entries.map((f) => path.join(outDir, f.replace(/\.ts$/, '.js')));
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, WSSS_REPO_ROOT: root },
  },
);
rmSync(outDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
