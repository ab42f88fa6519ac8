// Builds the extension host bundle (dist/extension.js, Node CJS) and one browser bundle per webview
// panel: every folder webview/<panel>/ with a main.ts becomes dist/webview/<panel>.js (IIFE), so a new
// panel needs no edit here. Flags: --watch (rebuild on change), --production (minify, no source maps).
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Shared options: source maps while developing, minified for a package. */
const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
};

/** The extension host: Node, CommonJS; native and host-provided modules stay external. */
const extensionHost = {
  ...common,
  entryPoints: [path.join(root, 'extension/extension.ts')],
  outfile: path.join(root, 'dist/extension.js'),
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'onnxruntime-node', 'sharp'],
  // jsonc-parser's UMD "main" requires './impl/*' at run time, which a bundle cannot resolve: take its ESM build.
  mainFields: ['module', 'main'],
};

/** Webview panels: one entry per webview/<panel>/main.ts (webview/shared is a library, not a panel). */
function webviewEntries() {
  const dir = path.join(root, 'webview');
  if (!existsSync(dir)) return {};
  const entries = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const main = path.join(dir, entry.name, 'main.ts');
    if (entry.isDirectory() && entry.name !== 'shared' && existsSync(main)) entries[entry.name] = main;
  }
  return entries;
}

const panels = webviewEntries();
const webviews = {
  ...common,
  entryPoints: panels,
  outdir: path.join(root, 'dist/webview'),
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  loader: { '.css': 'text', '.svg': 'text' },
};

const configs = [extensionHost, ...(Object.keys(panels).length ? [webviews] : [])];
if (watch) {
  for (const config of configs) await (await esbuild.context(config)).watch();
  console.log(
    `[esbuild] watching ${configs.length} bundle set(s); panels: ${Object.keys(panels).join(', ') || 'none'}`,
  );
} else {
  await Promise.all(configs.map((config) => esbuild.build(config)));
}
