// A headless Debian Chromium driven by playwright-core, with a fresh profile each launch
// (flags from docs/DESIGN.md#testing-in-a-real-vs-code). Used by the webview tests and the integration runner.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { testResultsDir } from './paths';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

export interface LaunchOptions {
  /** Default: $WSSS_CHROMIUM, else /usr/bin/chromium. */
  executablePath?: string;
  /** Default true; WSSS_HEADED=1 shows the window (needs a display). */
  headless?: boolean;
  viewport?: { width: number; height: number };
}

export interface TestBrowser {
  context: BrowserContext;
  /** The first page of the context (a fresh persistent context opens one). */
  page: Page;
  /** Closes the browser and deletes its profile folder. Safe to call twice. */
  close(): Promise<void>;
}

export function chromiumPath(): string {
  const exe = process.env.WSSS_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(exe)) {
    throw new Error(
      `Chromium not found at ${exe}: run \`bash scripts/install-test-deps.sh\` (apt chromium) or set WSSS_CHROMIUM`,
    );
  }
  return exe;
}

/** Launches Chromium with a fresh profile in a temp folder. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: options.executablePath ?? chromiumPath(),
      headless: options.headless ?? process.env.WSSS_HEADED !== '1',
      args: [...CHROMIUM_FLAGS],
      viewport: options.viewport ?? { width: 1280, height: 800 },
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page PNG as test-results/<group>/<name>.png and returns its path. */
export async function screenshot(page: Page, group: string, name: string): Promise<string> {
  const file = path.join(testResultsDir(group), `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
