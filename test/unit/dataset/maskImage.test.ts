// Reading GT masks for display (extension/panels/dataset/maskImage.ts): a greyscale PNG holds class indices
// (sharp hands it over as RGB, so the file's colour space decides), and one with a value that is no class index
// says so, not "a colour image"; palette masks map back through the VOC palette (grey-looking car, index 7, too).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { paletteColor } from '../../../common/classes';
import { readClassMask } from '../../../extension/panels/dataset/maskImage';

const dir = mkdtempSync(join(tmpdir(), 'wsss-masks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function greyPng(name: string, values: number[]): Promise<string> {
  const file = join(dir, name);
  await sharp(Buffer.from(values), { raw: { width: values.length, height: 1, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(file);
  return file;
}

test('a greyscale mask with value 77 is reported as such, with the valid indices', async () => {
  const file = await greyPng('grey77.png', [0, 77, 77, 255]);
  await assert.rejects(readClassMask(file, 20), (e: Error) => {
    assert.match(e.message, /greyscale image with value 77, which is not a class index \(0 background, 1-20/);
    assert.doesNotMatch(e.message, /colour/);
    return true;
  });
  assert.deepEqual([...(await readClassMask(file)).data], [0, 77, 77, 255]); // no class count: indices as they are
});

test('greyscale index masks and palette masks (grey car colour included) read as class indices', async () => {
  const grey = await greyPng('grey.png', [0, 3, 20, 255]);
  assert.deepEqual([...(await readClassMask(grey, 20)).data], [0, 3, 20, 255]);
  const rgb = Buffer.from([0, 7, 7, 15].flatMap((i) => paletteColor(i)));
  const palette = join(dir, 'palette.png');
  await sharp(rgb, { raw: { width: 4, height: 1, channels: 3 } })
    .png()
    .toFile(palette);
  assert.deepEqual([...(await readClassMask(palette, 20)).data], [0, 7, 7, 15]);
});

test('an RGB image that is not the palette is called a colour image', async () => {
  const file = join(dir, 'photo.png');
  await sharp(Buffer.from([10, 200, 30, 11, 201, 31]), { raw: { width: 2, height: 1, channels: 3 } })
    .png()
    .toFile(file);
  await assert.rejects(readClassMask(file, 20), /colour \(RGB\) image/);
});
