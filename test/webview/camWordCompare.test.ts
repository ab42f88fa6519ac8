// The CAM panel's "training-free, this word" (METHOD §10) in real Debian Chromium against the real host logic
// and the real engine (`clipCams/word` through engineAccess.ts engineWordCams, as the synonym editor): on a run
// with CAMs of the real photos and a tiny random-weight CLIP (fixtures/make_scoring_run.py), the shown image's
// word CAM beside the run's own, starting from the prompt word; typing supersedes; untrusted: disabled, says why.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineParams } from '../../protocol/engine';
import type { CamContract } from '../../protocol/webview/cam';
import { CamOverlays } from '../../extension/panels/cam/camPanel';
import { UNTRUSTED_MESSAGE, WordCamCompare } from '../../extension/panels/cam/wordCamCompare';
import { engineWordCams } from '../../extension/panels/synonyms/engineAccess';
import type { WordCamSource } from '../../extension/panels/synonyms/wordCams';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { enginePython, repoRoot, sharedDir } from '../support/paths';
import { testEngine } from './fixtures/testEngine';
import {
  openPanel,
  PanelServer,
  testEnvironment,
  type OpenedPanel,
  type TestEnvironment,
} from './harness/panelHarness';

const PHOTOS = path.join(sharedDir(), 'data', 'photos');
const BANK = path.join(sharedDir(), 'data', 'pole', 'synonyms_chatgpt_4.json');
const IDS = ['000000000042', '2011_000006']; // dog; chair+person+sofa

describe('CAM panel: training-free, this word (Chromium, real engine)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let env: TestEnvironment;
  let opened: OpenedPanel<CamContract>;
  let tmp: string;
  const engine = testEngine(() => tmp);
  const calls: EngineParams<'clipCams/word'>[] = [];
  /** Calls still in flight when a newer one started without being cancelled first (must stay 0). */
  let uncancelled = 0;
  let cancels = 0;
  let watched: WordCamSource;

  before(async function () {
    if (![PHOTOS, BANK, enginePython()].every((p) => fs.existsSync(p))) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-cam-word-'));
    execFileSync(
      enginePython(),
      [path.join(repoRoot, 'test/webview/fixtures/make_scoring_run.py'), tmp, PHOTOS, BANK, ...IDS],
      { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' } },
    );
    const real = engineWordCams(async () => engine.started());
    // the real engine access, watched: what each call asks and how often a newer word cancels the older
    let last: { settled: boolean; cancelled: boolean } | undefined;
    watched = {
      start(params) {
        if (last && !last.settled && !last.cancelled) uncancelled++;
        calls.push(params);
        const call = real.start(params);
        const watch = { settled: false, cancelled: false };
        last = watch;
        void call.result.then(
          () => (watch.settled = true),
          () => (watch.settled = true),
        );
        return { result: call.result, cancel: () => ((watch.cancelled = true), cancels++, call.cancel()) };
      },
    };
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
    env = testEnvironment();
    env.workspaceFolders = [tmp];
    opened = await openPanel<CamContract>(
      browser.page,
      server,
      'cam',
      () => new CamOverlays(env, path.join(tmp, 'pole-scoring'), new WordCamCompare({ wordCams: watched })),
    );
  });

  after(async () => {
    await engine.dispose();
    opened?.dispose();
    await browser?.close();
    await server?.close();
    env?.cleanup();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("shows the prompt word's training-free CAM of the shown image beside the run's CAM; the newest typed word wins", async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=side-left] [data-testid=heatmap]');
    await page.waitForSelector('[data-testid=cam-word][data-state=shown]', { timeout: 90_000 });
    // the default word is the class's prompt word of this run (POLE's selected word of the shown image)
    const prompt = (await page.textContent('[data-testid=side-left] [data-testid=prompt-word]')) ?? '';
    const word = await page.inputValue('[data-testid=cam-word-input]');
    assert.ok(word && prompt.includes(`“${word}”`), `default word ${word} is the prompt word (${prompt})`);
    assert.deepEqual(calls[0], {
      runDir: path.join(tmp, 'pole-scoring'),
      class: 'dog',
      word,
      imageIds: ['000000000042'],
      count: 1,
    });
    const figure = page.locator('[data-testid=cam-word] figure[data-image="000000000042"]');
    assert.match((await figure.locator('img').getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    assert.match(
      (await page.textContent('[data-testid=cam-word-caption]')) ?? '',
      new RegExp(`“${word}” for dog · p [01]\\.\\d\\d · cos -?\\d\\.\\d{3}`),
    );
    // typing a new word: the older calls are cancelled, the last word typed is shown
    await page.fill('[data-testid=cam-word-input]', '');
    await page.locator('[data-testid=cam-word-input]').pressSequentially('puppy', { delay: 200 });
    await page.waitForSelector('[data-testid=cam-word][data-state=shown][data-word=puppy]', { timeout: 90_000 });
    assert.match((await page.textContent('[data-testid=cam-word-caption]')) ?? '', /“puppy” for dog · p /);
    assert.equal(calls.at(-1)?.word, 'puppy');
    assert.ok(calls.length >= 2, 'the typed word asked again');
    assert.equal(uncancelled, 0, `a newer word left an older call running (${cancels} cancels, ${calls.length} calls)`);
    const ms = Number(await page.getAttribute('[data-testid=cam-word]', 'data-ms'));
    console.log(`    CAM panel word CAM (warm engine, random tiny ViT CLIP, one image): ${ms} ms`);
    await screenshot(page, 'webview', 'cam-word-compare');
    assert.deepEqual(await opened.cspViolations(), [], 'the data: PNG overlay is allowed by the CSP');
  });

  it('untrusted workspace: the control is disabled and says why; nothing is asked of the engine', async () => {
    const page = await browser.context.newPage();
    const before = calls.length;
    const untrusted = await openPanel<CamContract>(
      page,
      server,
      'cam',
      () =>
        new CamOverlays(
          env,
          path.join(tmp, 'pole-scoring'),
          new WordCamCompare({ wordCams: watched, engineBlocked: () => UNTRUSTED_MESSAGE }),
        ),
    );
    try {
      await page.waitForSelector('[data-testid=side-left] [data-testid=heatmap]');
      await page.waitForSelector('[data-testid=cam-word][data-state=unavailable]');
      assert.equal(await page.isDisabled('[data-testid=cam-word-input]'), true);
      assert.equal(await page.textContent('[data-testid=cam-word-message]'), UNTRUSTED_MESSAGE);
      assert.equal(calls.length, before);
    } finally {
      untrusted.dispose();
      await page.close();
    }
  });
});
