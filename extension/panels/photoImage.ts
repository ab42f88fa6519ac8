/**
 * Photos for the panels as data: URIs (sharp in the extension host), so webviews need no access to dataset
 * folders. No EXIF rotation: masks, CAMs and the engine (PIL) all use the stored pixel orientation.
 */
import sharp from 'sharp';

/** Longest side of a photo sent to a webview (bigger photos are scaled down; sizes report the original). */
export const PHOTO_MAX_SIDE = 1024;

export function toDataUri(bytes: Buffer, mime = 'image/jpeg'): string {
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/** A photo as a JPEG data: URI with its original size; throws "Unreadable image <file>: why" when it cannot be decoded. */
export async function readPhoto(file: string, maxSide = PHOTO_MAX_SIDE): Promise<{ url: string; width: number; height: number }> {
  try {
    const img = sharp(file, { failOn: 'error' });
    const meta = await img.metadata();
    const bytes = await img.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 88 }).toBuffer();
    return { url: toDataUri(bytes), width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (e) {
    throw new Error(`Unreadable image ${file}: ${(e as Error).message}`);
  }
}
