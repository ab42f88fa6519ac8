// The dataset browser's reading of VOC-layout roots (extension/panels/dataset/vocDataset.ts) on folders made
// here: VOCdevkit resolution, list files (SBD-style lines), XML labels (object names, parts skipped),
// classes.json, and the messages for what is missing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { DatasetRootError, openDataset } from '../../../extension/panels/dataset/vocDataset';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-voc-unit-'));
const write = (rel: string, text = ''): void => {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp, rel), text);
};

describe('VOC-layout roots for the dataset browser', () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('resolves VOCdevkit to VOC2012, reads SBD-style lists and XML labels', async () => {
    for (const id of ['2007_000032', '2007_000039', '2008_000001']) write(`VOCdevkit/VOC2012/JPEGImages/${id}.jpg`);
    write('VOCdevkit/VOC2012/SegmentationClass/2007_000032.png');
    write(
      'VOCdevkit/VOC2012/ImageSets/Segmentation/train_aug.txt',
      '/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png\n/JPEGImages/2007_000039.jpg x\n/JPEGImages/2007_009999.jpg x\n',
    );
    write('VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt', '2008_000001\n');
    const obj = (name: string, part = '') => `<object><name>${name}</name>${part}</object>`;
    write(
      'VOCdevkit/VOC2012/Annotations/2007_000032.xml',
      `<annotation>${obj('aeroplane')}${obj('person', '<part><name>head</name></part>')}</annotation>`,
    );
    write('VOCdevkit/VOC2012/Annotations/2007_000039.xml', `<annotation>${obj('tvmonitor')}</annotation>`);
    const ds = await openDataset(path.join(tmp, 'VOCdevkit'));
    assert.equal(ds.root, path.join(tmp, 'VOCdevkit', 'VOC2012'));
    assert.deepEqual(ds.sets, ['train_aug', 'val', 'all']);
    assert.equal(ds.set, 'train_aug');
    assert.deepEqual(ds.ids, ['2007_000032', '2007_000039', '2007_009999']);
    assert.deepEqual(ds.labels, [[0, 14], [19], []]);
    assert.equal(ds.labelSource, 'Annotations');
    assert.deepEqual(ds.hasImage, [1, 1, 0]);
    assert.deepEqual(ds.hasMask, [1, 0, 0]);
    assert.match(
      ds.warnings.map((w) => w.message).join('\n'),
      /1 image\(s\) of list 'train_aug' are missing, e\.g\. JPEGImages\/2007_009999\.jpg/,
    );
    const val = await openDataset(path.join(tmp, 'VOCdevkit'), 'val');
    assert.deepEqual(val.ids, ['2008_000001']);
  });

  it('uses classes.json and labels.json; lists every image without ImageSets; warns about unknown classes', async () => {
    write('world/JPEGImages/a.jpg');
    write('world/JPEGImages/b.png');
    write('world/classes.json', JSON.stringify(['background', 'disc', 'square']));
    write('world/labels.json', JSON.stringify({ a: ['square'], b: ['Disc', 'triangle'] }));
    write('world/world.json', '{"synthetic": true}');
    const ds = await openDataset(path.join(tmp, 'world'));
    assert.deepEqual(ds.classes, ['disc', 'square']);
    assert.equal(ds.set, 'all');
    assert.deepEqual(ds.labels, [[1], [0]]);
    assert.equal(ds.synthetic, true);
    const messages = ds.warnings.map((w) => w.message).join('\n');
    assert.match(messages, /not in the class list: triangle/);
    assert.match(messages, /No ground-truth masks/);
  });

  it('refuses a folder that is not VOC-layout, saying what one looks like', async () => {
    write('plain/readme.txt');
    await assert.rejects(
      openDataset(path.join(tmp, 'plain')),
      (e: DatasetRootError) =>
        /not a VOC-layout dataset: it has no JPEGImages\/ folder/.test(e.problem.message) &&
        /JPEGImages\/<id>\.jpg/.test(e.problem.hint ?? ''),
    );
    await assert.rejects(openDataset(path.join(tmp, 'missing')), /does not exist/);
  });
});
