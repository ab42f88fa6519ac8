// A Playwright-driven integration session (one test): code-server loads this project as a development
// extension (payload without extensionTestsPath) on a workspace, headless Chromium opens the workbench and
// `scenario` drives it from Node as a user would (F1, clicks). Used where the extension host restarts
// mid-test, so mocha cannot run inside it: a window reload (panelRestore.ts, runReload.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { startCodeServer, type CodeServer } from '../support/codeServer';
import { enginePython, repoRoot, testResultsDir } from '../support/paths';

export interface WorkbenchSession {
  /** Session name ("restore"): test-results/integration/<name>/ and the log lines. */
  name: string;
  /** What the session shows, for the header and the result line. */
  what: string;
  workspace: string;
  /** Extra environment of code-server and its extension host. */
  env?: Record<string, string>;
  scenario: (page: Page, server: CodeServer, log: (line: string) => void) => Promise<void>;
}

/** F1, the command's title, Enter: what a user does. Retried while the palette does not list the command yet
 * (right after the workbench appears, the extension's contributions may still be on their way). */
export async function runCommand(page: Page, title: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(`>${title}`);
    if (
      await row.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      )
    )
      break;
    await page.keyboard.press('Escape');
    if (Date.now() > end) throw new Error(`the command palette never listed "${title}" (${timeoutMs / 1000} s)`);
    await page.waitForTimeout(1_000);
  }
  await page.keyboard.press('Enter');
}

/** The first frame (webviews are iframes in iframes) holding `selector`, polled until timeoutMs. */
export async function frameWith(page: Page, selector: string, what: string, timeoutMs = 60_000): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (
        await frame.$(selector).then(
          (e) => e !== null,
          () => false,
        )
      )
        return frame;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${selector})`);
    await page.waitForTimeout(250);
  }
}

/** F1 "Developer: Reload Window", then waits for the new workbench. */
export async function reloadWindow(page: Page): Promise<void> {
  await runCommand(page, 'Developer: Reload Window');
  await page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
}

/** Runs the session; the counts are those runTests.ts sums (one test). Deletes the workspace at the end. */
export async function runWorkbenchSession(
  session: WorkbenchSession,
): Promise<{ code: number; passed: number; failed: number }> {
  const group = path.join('integration', session.name);
  fs.rmSync(testResultsDir(group), { recursive: true, force: true });
  const results = testResultsDir(group);
  const started = Date.now();
  const server = await startCodeServer({
    workspace: session.workspace,
    group,
    settings: { 'security.workspace.trust.startupPrompt': 'never', 'wsss.pythonPath': enginePython() },
    env: { WSSS_REPO_ROOT: repoRoot, ...session.env },
  });
  const consoleLog = fs.createWriteStream(path.join(results, 'browser-console.log'));
  let browser: TestBrowser | undefined;
  let failure: string | undefined;
  try {
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${server.host}${repoRoot}`]]);
    const folder = encodeURIComponent(session.workspace);
    await page.goto(`${server.url}/?folder=${folder}&payload=${encodeURIComponent(payload)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await session.scenario(page, server, (line) => console.log(`  ${line}`));
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    if (browser) await screenshot(browser.page, group, 'failure').catch(() => undefined);
  } finally {
    consoleLog.end();
    await browser?.close();
    await server.stop(); // also stops the engine daemon of its state folder
    fs.rmSync(session.workspace, { recursive: true, force: true });
  }
  const took = ((Date.now() - started) / 1000).toFixed(0);
  console.log(failure ? `  1) ${session.what}: ${failure}\n  see ${results}/` : `  ✔ ${session.what}`);
  console.log(`=== session "${session.name}": ${failure ? 0 : 1} passing, ${failure ? 1 : 0} failing, ${took} s ===`);
  return failure ? { code: 1, passed: 0, failed: 1 } : { code: 0, passed: 1, failed: 0 };
}
