// The one host-side reader of the VOC layout (extension/dataset/vocLayout.ts): VOC roots, a run config's
// relative root, classes.json and an image id's photo file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { VOC_CLASSES } from '../../../common/classes';
import {
  findConfigRoot,
  findVocRoot,
  gtMaskFileOf,
  imageFileOf,
  parseClassNames,
  readClassNames,
  readRootClasses,
} from '../../../extension/dataset/vocLayout';

const tmp = mkdtempSync(path.join(tmpdir(), 'wsss-voclayout-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const devkit = path.join(tmp, 'data', 'VOCdevkit');
const voc = path.join(devkit, 'VOC2012');
mkdirSync(path.join(voc, 'JPEGImages'), { recursive: true });
writeFileSync(path.join(voc, 'JPEGImages', '2007_000032.jpg'), 'x');
writeFileSync(path.join(voc, 'JPEGImages', 'scene_7.png'), 'x');
const runDir = path.join(tmp, 'runs', 'r1');
mkdirSync(runDir, { recursive: true });

describe('VOC roots', () => {
  it("finds an image id's GT mask in SegmentationClass/, then SBD's SegmentationClassAug/, else null", async () => {
    mkdirSync(path.join(voc, 'SegmentationClass'), { recursive: true });
    mkdirSync(path.join(voc, 'SegmentationClassAug'), { recursive: true });
    for (const f of ['SegmentationClass/a.png', 'SegmentationClassAug/a.png', 'SegmentationClassAug/b.png'])
      writeFileSync(path.join(voc, f), 'x');
    assert.equal(await gtMaskFileOf(voc, 'a'), path.join(voc, 'SegmentationClass', 'a.png'));
    assert.equal(await gtMaskFileOf(voc, 'b'), path.join(voc, 'SegmentationClassAug', 'b.png'));
    assert.equal(await gtMaskFileOf(voc, 'c'), null);
  });

  it('takes a folder with JPEGImages/ or its VOC2012/, else null', async () => {
    assert.equal(await findVocRoot(voc), voc);
    assert.equal(await findVocRoot(devkit), voc);
    assert.equal(await findVocRoot(path.join(tmp, 'data')), null);
    assert.equal(await findVocRoot(path.join(tmp, 'nowhere')), null);
  });

  it('resolves a config root: absolute as is, relative to the run folder or its two parents', async () => {
    assert.equal(await findConfigRoot(devkit, runDir), voc);
    assert.equal(await findConfigRoot('data/VOCdevkit', runDir), voc); // <workspace>/data, two levels up
    assert.equal(await findConfigRoot('missing', runDir), null);
  });

  it('maps an image id to its photo, any of .jpg/.jpeg/.png', async () => {
    assert.equal(await imageFileOf(voc, '2007_000032'), path.join(voc, 'JPEGImages', '2007_000032.jpg'));
    assert.equal(await imageFileOf(voc, 'scene_7'), path.join(voc, 'JPEGImages', 'scene_7.png'));
    assert.equal(await imageFileOf(voc, 'absent'), null);
  });
});

describe('classes.json', () => {
  it('is a list or {"classes"}, background entries dropped; anything else is an Error naming the file', () => {
    assert.deepEqual(parseClassNames(['background', 'boat', 'sofa'], 'x'), ['boat', 'sofa']);
    assert.deepEqual(parseClassNames({ classes: ['_background_', 'boat'] }, 'x'), ['boat']);
    assert.match(String(parseClassNames({ names: [] }, 'c.json')), /c\.json must be a JSON list/);
    assert.match(String(parseClassNames(['background'], 'c.json')), /names no class/);
  });

  it('is read from the first file that exists; none: the 20 VOC classes', async () => {
    writeFileSync(path.join(voc, 'classes.json'), JSON.stringify({ classes: ['background', 'cat', 'dog'] }));
    assert.deepEqual(await readRootClasses(voc), { names: ['cat', 'dog'], file: path.join(voc, 'classes.json') });
    assert.deepEqual(await readClassNames([path.join(tmp, 'none.json'), path.join(voc, 'classes.json')]), {
      names: ['cat', 'dog'],
      file: path.join(voc, 'classes.json'),
    });
    assert.deepEqual(await readClassNames([path.join(tmp, 'none.json')]), { names: [...VOC_CLASSES], file: null });
    writeFileSync(path.join(tmp, 'bad.json'), '{oops');
    assert.match(String(await readClassNames([path.join(tmp, 'bad.json')])), /bad\.json is not valid JSON/);
  });
});
