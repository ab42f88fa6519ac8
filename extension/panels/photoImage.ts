/**
 * Pictures for the panels: photos as data: URIs (sharp in the extension host), so webviews need no access to
 * dataset folders, and CAM maps as bytes for the browser's renderer. No EXIF rotation: masks, CAMs and the
 * engine (PIL) all use the stored pixel orientation.
 */
import sharp from 'sharp';

/** Longest side of a photo sent to a webview (bigger photos are scaled down; sizes report the original). */
export const PHOTO_MAX_SIDE = 1024;

export function toDataUri(bytes: Buffer, mime = 'image/jpeg'): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/** A photo as a JPEG data: URI with its original size; throws "Unreadable image <file>: why" when it cannot be decoded. */
export async function readPhoto(
  file: string,
  maxSide = PHOTO_MAX_SIDE,
): Promise<{ url: string; width: number; height: number }> {
  try {
    const img = sharp(file, { failOn: 'error' });
    const meta = await img.metadata();
    const bytes = await img
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 88 })
      .toBuffer();
    return { url: toDataUri(bytes), width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (e) {
    throw new Error(`Unreadable image ${file}: ${(e as Error).message}`);
  }
}

/** A 0..1 CAM as the webviews take it (protocol/webview/cam.ts ClassCam.map): base64 of one byte per pixel. */
export function camBytes(map: Float32Array): string {
  const bytes = Buffer.alloc(map.length);
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    bytes[i] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
  }
  return bytes.toString('base64');
}
