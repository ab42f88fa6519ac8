// Runs the integration suites inside a real VS Code: code-server 4.100.3 serves the workbench, headless
// Chromium (playwright-core) opens it with the `payload` query parameter naming this project as the
// extension under development and a compiled mocha index as extensionTestsPath; the workbench calls the
// page function `codeAutomationExit(code)` when the tests end (docs/DESIGN.md#testing-in-a-real-vs-code).
// Usage: node out/test/integration/runTests.js [session ...]   (trusted, untrusted, restore, reload, wordcam;
// default all). Sessions "restore" (panelRestore.ts) and "reload" (runReload.ts) drive the workbench from Node
// instead: a panel, and a run on the engine daemon, surviving a window reload; "wordcam" (wordCamSession.ts)
// reads the synonym bank editor's webview DOM for a word's training-free CAM.
// Exit code 0 only when every session's tests passed. Artefacts: test-results/integration/<session>/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { startCodeServer } from '../support/codeServer';
import { runPanelRestoreSession } from './panelRestore';
import { runReloadSession } from './runReload';
import { runWordCamSession } from './wordCamSession';
import { enginePython, repoRoot, sharedDir, testResultsDir } from '../support/paths';

interface Session {
  name: string;
  /** Compiled extensionTestsPath module, relative to this file's folder. */
  index: string;
  /** Keep VS Code's workspace trust on (the folder stays untrusted: nobody answers the prompt). */
  workspaceTrust: boolean;
}

const SESSIONS: Session[] = [
  { name: 'trusted', index: 'index.js', workspaceTrust: false },
  { name: 'untrusted', index: 'untrustedIndex.js', workspaceTrust: true },
];

const TIMEOUT_MS = Number(process.env.WSSS_INTEGRATION_TIMEOUT_S ?? 900) * 1000;

/** A fresh workspace folder holding a copy of test/fixtures/workspace/. */
function makeWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-ws-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'workspace'), ws, { recursive: true });
  return ws;
}

function countFromSpec(report: string): { passed: number; failed: number } {
  const num = (re: RegExp) => Number(re.exec(report)?.[1] ?? 0);
  return { passed: num(/^\s*(\d+) passing/m), failed: num(/^\s*(\d+) failing/m) };
}

async function runSession(session: Session): Promise<{ code: number; passed: number; failed: number }> {
  const group = path.join('integration', session.name);
  fs.rmSync(testResultsDir(group), { recursive: true, force: true }); // no artefacts of an earlier session
  const results = testResultsDir(group);
  const reportFile = path.join(results, 'mocha.txt');
  fs.writeFileSync(reportFile, '');
  const workspace = makeWorkspace();
  const started = Date.now();
  console.log(
    `\n=== integration session "${session.name}" (workspace trust ${session.workspaceTrust ? 'on, untrusted' : 'off'}) ===`,
  );

  const server = await startCodeServer({
    workspace,
    group,
    workspaceTrust: session.workspaceTrust,
    settings: {
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.emptyWindow': false,
      'wsss.pythonPath': enginePython(),
    },
    env: {
      WSSS_TEST_REPORT: reportFile,
      WSSS_TEST_RESULTS: results,
      WSSS_REPO_ROOT: repoRoot,
      WSSS_SHARED_DIR: sharedDir(),
      WSSS_TEST_GREP: process.env.WSSS_TEST_GREP ?? '', // run only the tests whose title matches (mochaRunner.ts)
    },
  });
  const consoleLog = fs.createWriteStream(path.join(results, 'browser-console.log'));
  const exthostLog = fs.createWriteStream(path.join(results, 'exthost-console.log'));
  let browser: TestBrowser | undefined;
  let code = 1;
  try {
    browser = await launchBrowser();
    const { page } = browser;
    page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (c: number) => {
        resolve(Number(c));
      });
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      exthostLog.write(`[${type}] ${format(...(Array.isArray(args) ? args : [args]))}\n`);
    });
    const remote = (p: string) => `vscode-remote://${server.host}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(path.join(__dirname, session.index))],
    ]);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    // The tests end with codeAutomationExit; anything else that ends the wait is reported as a failure.
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`no codeAutomationExit within ${TIMEOUT_MS / 1000} s (WSSS_INTEGRATION_TIMEOUT_S)`),
        TIMEOUT_MS,
      );
      page.once('crash', () => resolve('the workbench page crashed'));
      void server.exited.then((how) => resolve(`code-server exited (${how}) before the tests ended`));
    });
    const outcome = await Promise.race([exit, failure]);
    clearTimeout(timer);
    await screenshot(page, group, 'workbench-at-exit').catch(() => undefined);
    if (typeof outcome === 'string') {
      console.error(
        `integration session "${session.name}": ${outcome}; see ${results}/ ` +
          '(code-server.log, exthost-console.log, browser-console.log, workbench-at-exit.png)',
      );
    } else {
      code = outcome;
    }
  } finally {
    consoleLog.end();
    exthostLog.end();
    await browser?.close();
    await server.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  const report = fs.readFileSync(reportFile, 'utf8');
  process.stdout.write(report.endsWith('\n') || report === '' ? report : `${report}\n`);
  const counts = countFromSpec(report);
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // crashed, timed out or failed outside a test
  console.log(
    `=== session "${session.name}": exit code ${code}, ${counts.passed} passing, ${counts.failed} failing, ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s ===`,
  );
  return { code, ...counts };
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const restore = wanted.length === 0 || wanted.includes('restore');
  const reload = wanted.length === 0 || wanted.includes('reload');
  const wordcam = wanted.length === 0 || wanted.includes('wordcam');
  const sessions = wanted.length ? SESSIONS.filter((s) => wanted.includes(s.name)) : SESSIONS;
  if (sessions.length === 0 && !restore && !reload && !wordcam)
    throw new Error(
      `unknown session(s) ${wanted.join(', ')}; known: ${SESSIONS.map((s) => s.name).join(', ')}, restore, reload, wordcam`,
    );
  let passed = 0;
  let failed = 0;
  let bad = 0;
  for (const s of sessions) {
    const r = await runSession(s).catch((err: unknown) => {
      console.error(`integration session "${s.name}" could not run: ${err instanceof Error ? err.stack : String(err)}`);
      return { code: 1, passed: 0, failed: 1 };
    });
    passed += r.passed;
    failed += r.failed;
    if (r.code !== 0) bad++;
  }
  const driven = [
    ...(restore ? [['restore', runPanelRestoreSession] as const] : []),
    ...(reload ? [['reload', runReloadSession] as const] : []),
    ...(wordcam ? [['wordcam', runWordCamSession] as const] : []),
  ];
  for (const [name, run] of driven) {
    const r = await run().catch((err: unknown) => {
      console.error(`integration session "${name}" could not run: ${err instanceof Error ? err.stack : String(err)}`);
      return { code: 1, passed: 0, failed: 1 };
    });
    passed += r.passed;
    failed += r.failed;
    if (r.code !== 0) bad++;
  }
  const count = sessions.length + driven.length;
  console.log(`integration: ${passed} passed, ${failed} failed (${count - bad}/${count} sessions ok)`);
  return bad === 0 ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
