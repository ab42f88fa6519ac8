// "Generate or extend" in the synonym-bank editor (issue 10, METHOD §2.1): real Chromium, the real host logic
// and the real engine answering `synonyms/suggest` from the WordNet 3.0 database (Debian wordnet-base):
// suggested words appear per class beside the bank, an accepted word becomes an undoable edit of the document,
// a rejected one leaves the bank untouched.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SynonymsContract } from '../../protocol/webview/synonyms';
import { engineSuggester } from '../../extension/panels/synonyms/engineAccess';
import { SynonymBankSession, type BankDocumentPort } from '../../extension/panels/synonyms/synonymBankSession';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { enginePython } from '../support/paths';
import { testEngine } from './fixtures/testEngine';
import { openPanel, PanelServer, type OpenedPanel } from './harness/panelHarness';

const WORDNET = process.env.WSSS_WORDNET_DIR ?? '/usr/share/wordnet';

describe('synonym bank editor: words suggested from WordNet (Chromium, real engine)', function () {
  this.timeout(180_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let opened: OpenedPanel<SynonymsContract>;
  const engine = testEngine(() => tmp);
  let tmp: string;
  let text: string;
  let session: SynonymBankSession;

  before(async function () {
    if (!fs.existsSync(path.join(WORDNET, 'index.noun')) || !fs.existsSync(enginePython())) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-suggest-'));
    const bank = { aeroplane: ['aeroplane', 'airplane'], sofa: ['sofa', 'couch'], cat: ['cat'] };
    text = JSON.stringify(bank, null, 1);
    const doc: BankDocumentPort = {
      path: path.join(tmp, 'small.synonyms.json'),
      getText: () => text,
      async replace(e) {
        text = text.slice(0, e.offset) + e.text + text.slice(e.offset + e.length);
        session.documentChanged();
        return true;
      },
    };
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    opened = await openPanel<SynonymsContract>(browser.page, server, 'synonyms', (rpc) => {
      session = new SynonymBankSession(doc, {
        listRuns: async () => [],
        pickFolder: async () => undefined,
        openTextEditor: async () => undefined,
        suggester: engineSuggester(async () => engine.started()),
      });
      session.attach({ sendSnapshot: () => void rpc.sendSnapshot() });
      return session;
    });
  });

  after(async () => {
    await engine.dispose();
    opened?.dispose();
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('suggests new WordNet words per class; accepting edits the bank, rejecting does not', async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=class-item][data-class=sofa]');
    await page.click('[data-testid=suggest-words]');
    const plane = page.locator('[data-testid=suggestion-row][data-class=aeroplane] [data-testid=suggestion]');
    await plane.first().waitFor({ timeout: 150_000 });
    const suggested = await plane.evaluateAll((els) => els.map((e) => e.getAttribute('data-word')));
    assert.ok(suggested.includes('plane'), `aeroplane suggestions: ${suggested.join(', ')}`);
    assert.ok(!suggested.includes('airplane'), 'a word the bank has is not suggested again');
    assert.match((await page.textContent('[data-testid=suggestions] h3')) ?? '', /WordNet 3\.0/);
    const before = text;
    await screenshot(page, 'webview', 'synonyms-suggestions');

    await page.click(
      '[data-testid=suggestion-row][data-class=aeroplane] [data-word=plane] [data-testid=accept-suggestion]',
    );
    await page.waitForSelector('[data-testid=class-item][data-class=aeroplane] .count:text("3")');
    assert.deepEqual(JSON.parse(text).aeroplane, ['aeroplane', 'airplane', 'plane']);
    assert.equal(
      await page.locator('[data-testid=suggestion-row][data-class=aeroplane] [data-word=plane]').count(),
      0,
      'an accepted word is no longer a suggestion',
    );

    const sofaWords = await page
      .locator('[data-testid=suggestion-row][data-class=sofa] [data-testid=suggestion]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-word')));
    assert.ok(sofaWords.length > 0, 'WordNet has more words for sofa');
    const afterAccept = text;
    await page.click('[data-testid=suggestion-row][data-class=sofa] [data-testid=reject-all]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=suggestion-row][data-class=sofa]'));
    assert.equal(text, afterAccept, 'rejecting leaves the bank as it was');
    assert.notEqual(text, before);
    assert.deepEqual(await opened.cspViolations(), []);
  });
});
