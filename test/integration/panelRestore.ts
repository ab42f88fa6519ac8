// Session "restore": a webview panel comes back after the window reloads (the WebviewPanelSerializer in
// extension/panels/index.ts, and the webview state handed back through the ready handshake). The extension
// host restarts on a reload, so mocha cannot drive this from inside it: this runs in Node and drives the
// workbench with Playwright. code-server loads this project as a development extension (payload without
// extensionTestsPath); F1 runs "WSSS: Open Dataset Browser"; the webview offers the workspace's VOC-layout
// folder (a link to the shared photos) and a click opens it; F1 "Developer: Reload Window"; then the restored
// webview must show the same dataset root with its thumbnails, without anyone opening it again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { repoRoot, sharedDir } from '../support/paths';
import { frameWith, reloadWindow, runCommand, runWorkbenchSession } from './workbenchSession';

const GROUP = path.join('integration', 'restore');

async function restoreScenario(page: Page, photosLink: string, log: (line: string) => void): Promise<void> {
  await runCommand(page, 'WSSS: Open Dataset Browser');
  const before = await frameWith(
    page,
    '[data-testid=suggested-root]',
    'the dataset browser offering the workspace photos',
  );
  await before
    .locator('[data-testid=suggested-root]', { hasText: path.basename(photosLink) })
    .first()
    .click();
  const rootBefore = (await before.locator('[data-testid=root-path]').textContent({ timeout: 60_000 }))?.trim();
  if (!rootBefore?.endsWith(path.basename(photosLink)))
    throw new Error(`the dataset browser opened ${rootBefore}, not ${photosLink}`);
  await before.locator('[data-testid=tile] img').first().waitFor({ timeout: 60_000 });
  log(`opened ${rootBefore}`);
  await screenshot(page, GROUP, 'before-reload');

  await reloadWindow(page);
  const after = await frameWith(
    page,
    '[data-testid=root-path]',
    'the restored dataset browser showing a root',
    120_000,
  );
  const rootAfter = (await after.locator('[data-testid=root-path]').textContent())?.trim();
  if (rootAfter !== rootBefore)
    throw new Error(`after the reload the dataset browser shows ${rootAfter}, not ${rootBefore}`);
  await after.locator('[data-testid=tile] img').first().waitFor({ timeout: 60_000 });
  const tabs = await page.locator('.tabs-container .tab', { hasText: 'Dataset Browser' }).count();
  if (tabs !== 1) throw new Error(`${tabs} Dataset Browser tabs after the reload (expected 1)`);
  log(`restored ${rootAfter} with thumbnails after the reload`);
  await screenshot(page, GROUP, 'after-reload');
}

/** Runs the session; the counts are those runTests.ts sums (one test). */
export async function runPanelRestoreSession(): Promise<{ code: number; passed: number; failed: number }> {
  const photos = path.join(sharedDir(), 'data', 'photos');
  console.log('\n=== integration session "restore" (dataset browser survives a window reload; Playwright-driven) ===');
  if (!fs.existsSync(photos)) {
    console.log(`  - skipped: no shared photos at ${photos}`);
    return { code: 0, passed: 0, failed: 0 };
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-ws-restore-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  const photosLink = path.join(workspace, 'photos');
  fs.symlinkSync(photos, photosLink);
  return runWorkbenchSession({
    name: 'restore',
    what: 'the dataset browser comes back after a window reload, with its dataset root',
    workspace,
    env: { WSSS_SHARED_DIR: sharedDir() },
    scenario: (page, _server, log) => restoreScenario(page, photosLink, log),
  });
}
