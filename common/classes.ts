/**
 * Class names and the VOC colour palette, shared by the host (mask colouring) and the webviews (swatches,
 * pseudo masks). Mirrors engine/wsss_engine/data/layout.py (VOC_CLASSES, canonical_name).
 */

/** The 20 PASCAL VOC classes in their standard order (index 0 = class 1 in masks; 0 is background). */
export const VOC_CLASSES: readonly string[] = [
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

/** Mask value of pixels that are ignored (object borders in VOC). */
export const IGNORE_INDEX = 255;

/** 'dining table' / 'Dining_Table' -> 'diningtable', as the engine compares class names. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The VOC palette colour of a mask value (0 background black, 255 ignore cream), as [r, g, b]. */
export function paletteColor(index: number): [number, number, number] {
  if (index === IGNORE_INDEX) return [224, 224, 192];
  let r = 0,
    g = 0,
    b = 0,
    c = index;
  for (let j = 0; j < 8; j++) {
    r |= ((c >> 0) & 1) << (7 - j);
    g |= ((c >> 1) & 1) << (7 - j);
    b |= ((c >> 2) & 1) << (7 - j);
    c >>= 3;
  }
  return [r, g, b];
}

/** CSS colour of foreground class i (0-based, i.e. mask value i + 1). */
export function classCss(classIndex: number): string {
  const [r, g, b] = paletteColor(classIndex + 1);
  return `rgb(${r}, ${g}, ${b})`;
}
