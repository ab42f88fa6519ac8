// The .vsix: one real `vsce package --target linux-x64` (the flags of `npm run package`, without its
// production rebuild: it packages the dist/ the build step made) into a temp folder, then checks what the
// zip holds (.vscodeignore), its size, that code-server installs it, and that the installed copy works
// where it matters: the external native modules load from its node_modules, and its engine/ is the
// wsss_engine a Python imports with the PYTHONPATH the extension sets (extension/engine/interpreter.ts).
// About 30 s, nearly all of it vsce testing every project file (.venv included) against .vscodeignore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { engineEnvironment } from '../../extension/engine/interpreter';
import { enginePython, repoRoot } from './engineFixture';

const MAX_VSIX_BYTES = 60 * 1024 * 1024;
const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-vsix-'));
const vsix = path.join(tmp, 'wsss-studio.vsix');
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Entry names of a zip file, read from its central directory (no unzip tool needed). */
function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  let end = zip.length - 22; // end-of-central-directory record, followed by a comment of up to 64 KiB
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, `${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `bad central directory entry ${i} in ${file}`);
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

/** Files under dir (relative, '/'-separated), skipping __pycache__. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => String(f).split(path.sep).join('/'))
    .filter((f) => !f.split('/').includes('__pycache__') && statSync(path.join(dir, f)).isFile());
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = repoRoot) {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
  return { ...result, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

describe('the .vsix (vsce package --target linux-x64)', () => {
  /** Paths inside the package, relative to the extension folder ("extension/" stripped). */
  let files: string[] = [];

  before(() => {
    assert.ok(existsSync(path.join(repoRoot, 'dist/extension.js')), 'no dist/extension.js: run `npm run build` first');
    const started = Date.now();
    const vsce = path.join(repoRoot, 'node_modules/@vscode/vsce/vsce');
    const packaged = run(process.execPath, [
      vsce,
      'package',
      '--target',
      'linux-x64',
      '--no-rewrite-relative-links',
      '--allow-missing-repository',
      '--out',
      vsix,
    ]);
    assert.equal(packaged.status, 0, `vsce package failed:\n${packaged.output}`);
    const size = statSync(vsix).size;
    console.log(
      `vsce package: ${(size / 1024 / 1024).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.ok(size < MAX_VSIX_BYTES, `the .vsix is ${(size / 1024 / 1024).toFixed(1)} MB (limit 60 MB)`);
    const entries = zipEntries(vsix);
    assert.ok(entries.includes('extension.vsixmanifest'), 'no extension.vsixmanifest in the .vsix');
    files = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
  });

  it('holds the bundles, media, schemas and the whole engine package', () => {
    for (const f of ['package.json', 'LICENSE.txt', 'dist/extension.js', 'media/panels.css', 'media/wsss.svg']) {
      assert.ok(files.includes(f), `${f} missing from the .vsix`);
    }
    const panels = readdirSync(path.join(repoRoot, 'dist/webview')).filter((f) => f.endsWith('.js'));
    assert.ok(panels.length >= 5, `only ${panels.length} webview bundles in dist/webview`);
    for (const f of panels) assert.ok(files.includes(`dist/webview/${f}`), `dist/webview/${f} missing`);
    for (const f of readdirSync(path.join(repoRoot, 'schemas')).filter((f) => f.endsWith('.json'))) {
      assert.ok(files.includes(`schemas/${f}`), `schemas/${f} missing`);
    }
    const enginePy = filesUnder(path.join(repoRoot, 'engine/wsss_engine')).filter((f) => f.endsWith('.py'));
    assert.ok(enginePy.length > 20, `only ${enginePy.length} .py files under engine/wsss_engine`);
    const missing = enginePy.filter((f) => !files.includes(`engine/wsss_engine/${f}`));
    assert.deepEqual(missing, [], 'engine files missing from the .vsix');
  });

  it('leaves out sources, tests, caches, the venv, runs and build output', () => {
    const forbidden = [
      /^\.venv\//,
      /^\.code-server\//,
      /^node_modules\/\.cache\//,
      /^test\//,
      /^out\//,
      /^runs\//,
      /^test-results\//,
      /^engine\/tests\//,
      /^engine\/benchmarks\//,
      /^(extension|protocol|webview|docs)\//,
      /\.ts$/,
      /\.map$/,
      /(^|\/)__pycache__\//,
      /\.pyc$/,
      /\.whl$/,
      /\.egg-info\//,
      /(^|\/)\.pytest_cache\//,
      /\.vsix$/,
    ];
    const leaked = files.filter((f) => forbidden.some((re) => re.test(f)));
    assert.deepEqual(leaked, [], 'files the .vsix must not hold');
  });

  it('ships only the runtime node_modules, with linux-x64 native binaries only', () => {
    const packages = new Set(
      files
        .filter((f) => f.startsWith('node_modules/'))
        .map((f) =>
          f
            .split('/')
            .slice(1, f.startsWith('node_modules/@') ? 3 : 2)
            .join('/'),
        ),
    );
    const expected = [
      '@img/colour',
      '@img/sharp-libvips-linux-x64',
      '@img/sharp-linux-x64',
      'detect-libc',
      'onnxruntime-common',
      'onnxruntime-node',
      'semver',
      'sharp',
    ];
    assert.deepEqual([...packages].sort(), expected);
    const onnxBinaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
    assert.ok(
      onnxBinaries.some((f) => f.endsWith('/linux/x64/onnxruntime_binding.node')),
      'no linux-x64 onnxruntime binding',
    );
    assert.deepEqual(
      onnxBinaries.filter((f) => !/\/napi-v\d+\/linux\/x64\//.test(f)),
      [],
      "other platforms' onnxruntime binaries",
    );
    const nativeFiles = files.filter((f) => /\.(node|so(\.\d+)*|dll|dylib)$/.test(f));
    assert.deepEqual(
      nativeFiles.filter((f) => /darwin|win32|arm64|\.dll$|\.dylib$/.test(f)),
      [],
    );
  });

  it('installs into code-server, and the installed copy loads its native modules and engine', (t) => {
    const codeServer =
      process.env.WSSS_CODE_SERVER ?? path.join(repoRoot, '.code-server/node_modules/.bin/code-server');
    if (!existsSync(codeServer)) return t.skip(`no code-server at ${codeServer} (scripts/install-test-deps.sh)`);
    const extensionsDir = path.join(tmp, 'extensions');
    const installed = run(codeServer, [
      '--install-extension',
      vsix,
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      path.join(tmp, 'user-data'),
    ]);
    assert.equal(installed.status, 0, `code-server --install-extension failed:\n${installed.output}`);
    assert.match(installed.output, /successfully installed/);
    const folder = path.join(extensionsDir, 'wsss-studio.wsss-studio-0.1.0');
    assert.ok(existsSync(path.join(folder, 'dist/extension.js')), `not installed at ${folder}:\n${installed.output}`);

    // sharp encodes an image and onnxruntime-node opens its native binding, both from the installed folder.
    const script = `
      const ort = require(${JSON.stringify(path.join(folder, 'node_modules/onnxruntime-node'))});
      const sharp = require(${JSON.stringify(path.join(folder, 'node_modules/sharp'))});
      if (typeof ort.InferenceSession.create !== 'function') throw new Error('no InferenceSession');
      sharp({ create: { width: 2, height: 2, channels: 3, background: '#f00' } }).png().toBuffer()
        .then((png) => console.log('png', png.length, require.resolve('sharp', { paths: [${JSON.stringify(folder)}] })));`;
    const loaded = run(process.execPath, ['-e', script], process.env, tmp);
    assert.equal(loaded.status, 0, `native modules of the installed extension fail to load:\n${loaded.output}`);
    assert.match(loaded.stdout, /^png \d+ /);

    if (!existsSync(enginePython)) return t.skip(`no engine Python at ${enginePython} (scripts/setup-engine.sh)`);
    const probe =
      'import wsss_engine, wsss_engine.pole.synonym_bank as bank; print(wsss_engine.__file__); print(bank.SCHEMA_PATH.is_file())';
    const imported = run(enginePython, ['-c', probe], engineEnvironment(folder, { PATH: process.env.PATH }), tmp);
    assert.equal(imported.status, 0, `the installed engine does not import:\n${imported.output}`);
    const [engineFile, schemaFound] = imported.stdout.trim().split('\n');
    assert.equal(engineFile, path.join(folder, 'engine/wsss_engine/__init__.py'));
    assert.equal(schemaFound, 'True', 'the installed engine does not find schemas/synonym-bank.schema.json');
  });
});
