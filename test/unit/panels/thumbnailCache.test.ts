// Dataset thumbnails (extension/panels/dataset/thumbnailCache.ts) with real sharp on a real photo: made once,
// then read from the disk cache; an edited file (new mtime/size) gets a new thumbnail; unreadable files say so.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { THUMB_HEIGHT, THUMB_WIDTH, ThumbnailCache } from '../../../extension/panels/dataset/thumbnailCache';

const repoRoot = process.env.WSSS_REPO_ROOT ?? path.resolve(__dirname, '../../..');
const photo = path.resolve(
  process.env.WSSS_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'),
  'data/photos/JPEGImages/000000000042.jpg',
);
const cacheFiles = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.jpg'))
    : [];

describe('thumbnail cache', { skip: fs.existsSync(photo) ? undefined : `no shared photo at ${photo}` }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsss-thumbs-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('makes a 2x JPEG thumbnail once and then serves it from disk, keyed by path + mtime + size', async () => {
    const img = path.join(tmp, 'a.jpg');
    fs.copyFileSync(photo, img);
    const cache = new ThumbnailCache(path.join(tmp, 'storage'));
    const dir = path.join(tmp, 'storage', 'cache', 'thumbnails');
    const first = await cache.get(img);
    assert.match(first, /^data:image\/jpeg;base64,/);
    const meta = await sharp(Buffer.from(first.split(',')[1], 'base64')).metadata();
    assert.deepEqual([meta.width, meta.height], [THUMB_WIDTH * 2, THUMB_HEIGHT * 2]);
    assert.equal(cacheFiles(dir).length, 1);
    assert.equal(await cache.get(img), first);
    assert.equal(cacheFiles(dir).length, 1, 'second request served from the cache');
    fs.writeFileSync(img, await sharp(photo).flip().jpeg().toBuffer()); // edited: new size and mtime
    const edited = await cache.get(img);
    assert.notEqual(edited, first);
    assert.equal(cacheFiles(dir).length, 2);
  });

  it('names the file when an image cannot be read', async () => {
    const bad = path.join(tmp, 'bad.jpg');
    fs.writeFileSync(bad, 'not an image');
    await assert.rejects(new ThumbnailCache(path.join(tmp, 'storage')).get(bad), /unreadable image .*bad\.jpg/);
  });
});
