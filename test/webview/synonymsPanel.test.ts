// Synonym-bank editor in real Debian Chromium against the real host logic (extension/panels/synonyms) on the
// real POLE bank (../shared/data/pole): edits change the document text (formatting kept), selection
// statistics beside the authors' (Fig. 4), stored scores of a run, live CLIP scores of the words in the editor
// from the real engine (`synonyms/score` over a run with real photos, CAMs and a tiny CLIP: unsaved edits
// scored, unchanged words equal to the stored scores), invalid JSON and unknown classes.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SynonymsContract } from '../../protocol/webview/synonyms';
import { engineScorer } from '../../extension/panels/synonyms/engineAccess';
import { listRunChoices } from '../../extension/panels/report/runReports';
import { StatsCache } from '../../extension/panels/synonyms/officialSelection';
import { SynonymBankSession, type BankDocumentPort } from '../../extension/panels/synonyms/synonymBankSession';
import type { OffsetEdit } from '../../extension/panels/synonyms/synonymBankDocument';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser';
import { chartData } from './harness/chartData';
import { enginePython, repoRoot, sharedDir } from '../support/paths';
import { writeRun } from './fixtures/runFolders';
import { testEngine } from './fixtures/testEngine';
import { chooseOption } from './fixtures/pageActions';
import { openPanel, PanelServer, type OpenedPanel } from './harness/panelHarness';

const POLE = path.join(sharedDir(), 'data', 'pole');
const PHOTOS = path.join(sharedDir(), 'data', 'photos');
const SCORED_IDS = ['2011_000006', '000000000049', '000000000042']; // chair+person+sofa, horse+person+plant, dog

/** The bank's TextDocument: text in memory, edits applied as VS Code applies a WorkspaceEdit. */
class MemoryDocument implements BankDocumentPort {
  edits: OffsetEdit[] = [];
  onChange: () => void = () => undefined;
  constructor(
    readonly path: string,
    public text: string,
  ) {}
  getText(): string {
    return this.text;
  }
  async replace(e: OffsetEdit): Promise<boolean> {
    this.edits.push(e);
    this.setText(this.text.slice(0, e.offset) + e.text + this.text.slice(e.offset + e.length));
    return true;
  }
  setText(text: string): void {
    this.text = text;
    this.onChange();
  }
}

describe('synonym bank editor panel (Chromium, real host logic, POLE bank)', function () {
  this.timeout(120_000);
  let browser: TestBrowser;
  let server: PanelServer;
  let opened: OpenedPanel<SynonymsContract>;
  let tmp: string;
  let doc: MemoryDocument;
  let original: string;
  const engine = testEngine(() => tmp);
  const textOpened: string[] = [];
  const canScore = fs.existsSync(PHOTOS) && fs.existsSync(enginePython());

  before(async function () {
    if (!fs.existsSync(POLE)) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-synonyms-'));
    writeRun(tmp, {
      name: 'pole-selection',
      miou: 0.41,
      selection: {
        stats: {
          sofa: { couch: 30, sofa: 12, settee: 6, loveseat: 2 },
          aeroplane: { plane: 20, aircraft: 15, aeroplane: 10, airplane: 5 },
        },
        images: {
          '2007_000123': {
            sofa: { word: 'couch', scores: { sofa: 0.262, couch: 0.281, loveseat: 0.254, settee: 0.249 } },
          },
          '2007_000456': {
            sofa: { word: 'sofa', scores: { sofa: 0.274, couch: 0.27, loveseat: 0.241, settee: 0.251 } },
          },
          '2007_000789': {
            aeroplane: { word: 'plane', scores: { aeroplane: 0.25, aircraft: 0.26, airplane: 0.255, plane: 0.29 } },
          },
        },
      },
    });
    if (canScore) {
      execFileSync(
        enginePython(),
        [
          path.join(repoRoot, 'test/webview/fixtures/make_scoring_run.py'),
          path.join(tmp, 'scoring'),
          PHOTOS,
          path.join(POLE, 'synonyms_chatgpt_4.json'),
          ...SCORED_IDS,
        ],
        { env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'engine'), OMP_NUM_THREADS: '1' } },
      );
    }
    original = fs.readFileSync(path.join(POLE, 'synonyms_chatgpt_4.json'), 'utf8');
    doc = new MemoryDocument(path.join(POLE, 'synonyms_chatgpt_4.json'), original);
    server = await PanelServer.start();
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    opened = await openPanel<SynonymsContract>(browser.page, server, 'synonyms', (rpc) => {
      const session = new SynonymBankSession(doc, {
        listRuns: () => listRunChoices([tmp]),
        pickFolder: async () => undefined,
        openTextEditor: async () => void textOpened.push(doc.path),
        statsCache: new StatsCache(path.join(tmp, 'storage')),
        scorer: canScore ? engineScorer(async () => engine.started()) : undefined,
      });
      session.attach({ sendSnapshot: () => void rpc.sendSnapshot() });
      doc.onChange = () => session.documentChanged();
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

  it("shows the 20 POLE classes, GT first, and the authors' statistics (GT wins 46.3%)", async () => {
    const page = browser.page;
    await page.waitForSelector('[data-testid=class-item][data-class=tvmonitor]');
    assert.equal(await page.locator('[data-testid=class-item]').count(), 20);
    assert.equal(await page.locator('[data-testid=problems]').count(), 0, 'the POLE bank has no problems against VOC');
    assert.equal(await page.locator('[data-testid=word-input]').first().inputValue(), 'aeroplane');
    await page.waitForSelector('[data-testid=gt-share]');
    assert.match(
      (await page.textContent('[data-testid=gt-share]')) ?? '',
      /authors' selection \(POLE\): ground-truth word wins 46\.3% of instances/,
    );
    assert.equal(await page.locator('[data-testid=all-radars] .radar-cell').count(), 20);
    await page.click('[data-testid=class-item][data-class=sofa]');
    const couch = page.locator('[data-testid=win-table] tr[data-word=couch] td.num');
    assert.equal((await couch.textContent())?.trim(), '79.8%'); // METHOD §2.2: couch 80% of 649 sofas
    assert.match(
      (await page.textContent('[data-testid=live-scores]')) ?? '',
      canScore ? /Choose a run: scoring masks each image/ : /does not support scoring yet/,
    );
    await screenshot(page, 'webview', 'synonyms-pole-sofa');
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('renaming, adding, moving and removing words edit the document text, formatting kept', async () => {
    const page = browser.page;
    const input = page.locator('[data-testid=word-list] li[data-word=settee] [data-testid=word-input]');
    await input.fill('chesterfield');
    await input.press('Enter');
    await page.waitForSelector('[data-testid=word-list] li[data-word=chesterfield]');
    assert.ok(doc.text.includes('  "loveseat",\n  "chesterfield"\n ],'), 'renamed in place, 1-space JSON indent kept');
    assert.equal(doc.text.replace('"chesterfield"', '"settee"'), original, 'nothing else changed');

    await page.fill('[data-testid=add-word-input]', 'divan');
    await page.click('[data-testid=add-word]');
    await page.waitForSelector('[data-testid=word-list] li[data-word=divan]');
    assert.ok(doc.text.includes('  "chesterfield",\n  "divan"\n ]'));
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
      'add-word-input',
      'ready for the next word',
    );

    await page.click('[data-testid=word-list] li[data-word=couch] [data-testid=make-gt]');
    await page.waitForSelector('[data-testid=word-list] li:first-child[data-word=couch]');
    assert.ok(doc.text.includes('"sofa": [\n  "couch",\n  "sofa",'));

    await page.click('[data-testid=word-list] li[data-word=divan] [data-testid=remove-word]');
    await page.waitForFunction(() => !document.querySelector('[data-testid=word-list] li[data-word=divan]'));
    assert.ok(!doc.text.includes('divan'));
    assert.ok(
      doc.edits.every((e) => e.length + e.text.length < 80),
      'every edit is a small replacement, not a rewrite',
    );
    await screenshot(page, 'webview', 'synonyms-edited');
  });

  it("a run's selection statistics go beside the authors', with its stored scores", async () => {
    const page = browser.page;
    const runDir = path.join(tmp, 'runs', 'pole-selection');
    await chooseOption(page, 'run-select', runDir);
    await page.waitForSelector('[data-testid=stored-scores]');
    assert.equal(await page.locator('[data-testid=synthetic-tag]').textContent(), 'SYNTHETIC');
    assert.equal(await page.locator('[data-testid=stored-scores] tbody tr').count(), 2);
    assert.equal(
      (await page.textContent('[data-testid=stored-scores] tr[data-image="2007_000123"] td.won'))?.trim(),
      '0.281',
    );
    const radar = await chartData(page, 'class-radar');
    assert.deepEqual(
      radar.datasets.map((d) => d.label),
      ['this run', "authors' selection (POLE)"],
      'run and authors',
    );
    const couch = radar.labels.indexOf('couch');
    assert.ok(Math.abs((radar.datasets[0].data[couch] as number) - 0.6) < 1e-9, 'the run picked couch 60% of the time');
    assert.equal((await page.textContent('[data-testid=win-table] tr[data-word=couch] td.num'))?.trim(), '60.0%');
    await page.click('[data-testid=all-radars] .radar-cell[data-class=aeroplane]');
    await page.waitForSelector('[data-testid=class-title] >> text=aeroplane');
    await screenshot(page, 'webview', 'synonyms-run-vs-authors');
    await page.locator('[data-testid=all-radars]').scrollIntoViewIfNeeded();
    await screenshot(page, 'webview', 'synonyms-fig4-grid');
  });

  it('live CLIP scores from the real engine: the words in the editor (unsaved edits too), equal to the stored ones', async function () {
    if (!canScore) this.skip();
    const page = browser.page;
    // a run that cannot be scored (no config.json): the engine's reason, no numbers
    // no button: the words are scored by themselves, shortly after they stop changing
    await page.click('[data-testid=class-item][data-class=sofa]');
    await page.waitForSelector('[data-testid=live-scores][data-state=failed]', { timeout: 90_000 });
    assert.match(
      (await page.textContent('[data-testid=live-scores]')) ?? '',
      /The engine could not score: run folder .*pole-selection has no config\.json/,
    );

    await chooseOption(page, 'run-select', path.join(tmp, 'scoring', 'pole-scoring'));
    await page.waitForSelector('[data-testid=stored-scores] tr[data-image="2011_000006"]');
    await page.waitForSelector('[data-testid=live-score-table]', { timeout: 90_000 });
    assert.equal(await page.getAttribute('[data-testid=live-scores]', 'data-state'), 'scored');
    const headers = (await page.locator('[data-testid=live-score-table] th').allTextContents()).map((t) =>
      t.replace('GT', '').trim(),
    );
    assert.deepEqual(
      headers,
      ['image', 'couch', 'sofa', 'loveseat', 'chesterfield'],
      'the words as edited above, not yet in any saved bank',
    );
    const row = page.locator('[data-testid=live-score-table] tr[data-image="2011_000006"] td.num');
    const live = (await row.allTextContents()).map(Number);
    assert.equal(live.length, 4);
    assert.ok(
      live.every((v) => Number.isFinite(v) && v >= -1 && v <= 1),
      `cosines: ${live}`,
    );
    const stored = page.locator('[data-testid=stored-scores] tr[data-image="2011_000006"] td.num');
    const storedByWord = Object.fromEntries(
      (await stored.allTextContents()).map((t, k) => [['couch', 'sofa', 'loveseat', 'chesterfield', 'settee'][k], t]),
    );
    const liveByWord = Object.fromEntries(['couch', 'sofa', 'loveseat'].map((w, k) => [w, live[k].toFixed(3)]));
    for (const w of ['couch', 'sofa', 'loveseat'])
      assert.equal(liveByWord[w], storedByWord[w], `${w}: same CAM, CLIP and word as the stored selection`);
    // the stored selection's word is marked when it is still a candidate, else the best live score
    const won = await page.locator('[data-testid=live-score-table] tr[data-image="2011_000006"] td.won').count();
    assert.equal(won, 1);
    await screenshot(page, 'webview', 'synonyms-live-scores');
    // an edit re-scores by itself (debounced): the removed word leaves the live table
    doc.setText(doc.text.replace(/,\s*"chesterfield"/, ''));
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid=live-score-table] th')]
          .map((t) => (t.textContent ?? '').replace('GT', '').trim())
          .join(',') === 'image,couch,sofa,loveseat',
      undefined,
      { timeout: 90_000 },
    );
    assert.deepEqual(await opened.cspViolations(), []);
  });

  it('unknown classes and invalid JSON are shown, never lost, with the way to the text editor', async () => {
    const page = browser.page;
    doc.setText(doc.text.replace('"tvmonitor": [', '"zebra": ["zebra", "quagga"],\n "tvmonitor": ['));
    await page.waitForSelector('[data-testid=class-item][data-class=zebra].unknown');
    const zebraLine = doc.text.slice(0, doc.text.indexOf('"zebra"')).split('\n').length; // 1-based, as shown
    assert.match(
      (await page.textContent('[data-testid=problems]')) ?? '',
      new RegExp(`line ${zebraLine}:2 Unknown class "zebra"`),
    );
    const broken = doc.text.replace('"bus",\n', '"bus"\n');
    doc.setText(broken);
    await page.waitForSelector('[data-testid=invalid]');
    const shown = await page.locator('[data-testid=raw-text] .raw-line').allTextContents();
    assert.equal(
      shown.map((l) => l.replace(/^ *\d+ /, '')).join(''),
      `${broken}\n`,
      'the whole text is shown, numbered',
    );
    const errorLine = broken.slice(0, broken.indexOf('"coach"')).split('\n').length;
    assert.equal(await page.locator('[data-testid=raw-text] .raw-error').getAttribute('data-line'), String(errorLine));
    assert.match((await page.textContent('[data-testid=problems]')) ?? '', /Invalid JSON: comma expected/);
    await screenshot(page, 'webview', 'synonyms-invalid-json');
    await page.click('[data-testid=open-text-invalid]');
    await page.waitForFunction(() => true);
    assert.deepEqual(textOpened, [doc.path]);
    doc.setText(original);
    await page.waitForSelector('[data-testid=class-item][data-class=tvmonitor]');
    assert.equal(await page.locator('[data-testid=invalid]').count(), 0);
  });
});
