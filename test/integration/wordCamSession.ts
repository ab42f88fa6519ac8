// Session "wordcam": the synonym bank editor's instant training-free CAM of a word (METHOD §10, issue 15) in a
// real VS Code, with the real engine. The workspace holds a POLE bank (pole.synonyms.json) and a run whose
// config has a tiny random-weight CLIP (test/webview/fixtures/make_scoring_run.py); Playwright opens the bank
// (F1 "Go to File"), F1 "WSSS: Open in Synonym Bank Editor", chooses the run, focuses a word of sofa, and reads
// the webview's DOM until the word CAM section is `shown` with an image. Driven from Node (as panelRestore.ts)
// because the webview's DOM is only reachable from the page. Skipped only when the engine cannot run here.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { enginePython, repoRoot, sharedDir } from '../support/paths';
import { chooseOption } from '../webview/fixtures/pageActions';
import { frameWith, runCommand, runWorkbenchSession } from './workbenchSession';

const GROUP = path.join('integration', 'wordcam');
const BANK_FILE = 'pole.synonyms.json';
const IDS = ['2011_000006']; // chair + person + sofa

/** F1 "Go to File", the file's name, Enter: the file opens in its default (text) editor. */
async function openFile(page: Page, name: string): Promise<void> {
  await runCommand(page, 'Go to File');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: name }).first().waitFor({ timeout: 30_000 });
}

async function wordCamScenario(page: Page, runDir: string, log: (line: string) => void): Promise<void> {
  await openFile(page, BANK_FILE);
  await runCommand(page, 'WSSS: Open in Synonym Bank Editor');
  const frame = await frameWith(page, '[data-testid=class-item][data-class=sofa]', 'the synonym bank editor');
  await frame.locator(`[data-testid=run-select]`).waitFor({ timeout: 30_000 });
  await chooseOption(frame, 'run-select', runDir);
  await frame.click('[data-testid=class-item][data-class=sofa]');
  const word = frame.locator('[data-testid=word-input]').first();
  const text = await word.inputValue();
  const started = Date.now();
  await word.focus();
  const shown = `[data-testid=word-cams][data-state=shown][data-word="${text}"]`;
  await frame
    .locator(shown)
    .waitFor({ timeout: 90_000 })
    .catch(async (e: Error) => {
      const state = await frame.getAttribute('[data-testid=word-cams]', 'data-state').catch(() => null);
      const message = await frame.textContent('[data-testid=word-cams]').catch(() => null);
      throw new Error(`the word CAM of "${text}" was not shown (state ${state}: ${message?.trim()}): ${e.message}`);
    });
  const src = await frame.getAttribute(`${shown} [data-testid=word-cam] img`, 'src');
  if (!src?.startsWith('data:image/png;base64,')) throw new Error(`the word CAM image is not a PNG data URL: ${src}`);
  const ms = await frame.getAttribute(shown, 'data-ms');
  log(`word CAM of "${text}" (sofa) shown ${Date.now() - started} ms after focusing the word (engine: ${ms} ms)`);
  await screenshot(page, GROUP, 'word-cam-shown');
}

/** Runs the session; the counts are those runTests.ts sums (one test). */
export async function runWordCamSession(): Promise<{ code: number; passed: number; failed: number }> {
  console.log(
    '\n=== integration session "wordcam" (the bank editor shows a word\'s training-free CAM; Playwright-driven) ===',
  );
  const photos = path.join(sharedDir(), 'data', 'photos');
  const bank = path.join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json');
  const missing = [enginePython(), photos, bank].filter((p) => !fs.existsSync(p));
  if (missing.length) {
    console.log(`  - skipped: the engine cannot run here (missing ${missing.join(', ')})`);
    return { code: 0, passed: 0, failed: 0 };
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-ws-wordcam-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  fs.copyFileSync(bank, path.join(workspace, BANK_FILE));
  const runs = path.join(workspace, 'runs');
  execFileSync(
    enginePython(),
    [path.join(repoRoot, 'test/webview/fixtures/make_scoring_run.py'), runs, photos, bank, ...IDS],
    { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' } },
  );
  return runWorkbenchSession({
    name: 'wordcam',
    what: "the synonym bank editor shows a focused word's training-free CAM from the real engine",
    workspace,
    env: { WSSS_SHARED_DIR: sharedDir() },
    scenario: (page, _server, log) => wordCamScenario(page, path.join(runs, 'pole-scoring'), log),
  });
}
