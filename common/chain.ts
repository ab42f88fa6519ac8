/**
 * The chain of the paper's tables, CAM -> IR labels -> pseudo mask (+RW) -> segmenter (METHOD §3.2, §4, §5):
 * which kind a stage type produces, how each kind is labelled, and the published figures (METHOD §8) shown
 * beside measured ones. Shared by the host (reports, label maps) and the webviews (tables, legends).
 */
import type { ChainKind, PublishedFigures } from '../protocol/webview/report';

/** The kinds in chain order (columns of the report's chain table, panels of the overlay view). */
export const CHAIN_ORDER: readonly ChainKind[] = ['cam', 'ir_labels', 'pseudo_mask', 'segmentation', 'other'];

/** The kind of output a stage type writes (run.json stages[].type); infer_cams, clip_cams and no source: CAMs. */
export function kindOfStageType(type: string | null | undefined): ChainKind {
  switch (type) {
    case undefined:
    case null:
    case 'infer_cams':
    case 'clip_cams':
      return 'cam';
    case 'ir_labels':
      return 'ir_labels';
    case 'random_walk':
      return 'pseudo_mask';
    case 'infer_segmenter':
      return 'segmentation';
    default:
      return 'other';
  }
}

/** Short labels, as the paper's tables name the columns. */
export const CHAIN_LABEL: Record<ChainKind, string> = {
  cam: 'CAM',
  ir_labels: 'IR labels',
  pseudo_mask: 'pseudo mask (+RW)',
  segmentation: 'segmentation',
  other: 'other masks',
};

/**
 * Published VOC 2012 figures (METHOD §8): POLE Tables 2-4 and CLIMS camera-ready (COCO-initialised DeepLabV2).
 * Never measured here; shown only beside runs on VOC, never beside synthetic ones.
 */
export const PUBLISHED_VOC: readonly PublishedFigures[] = [
  {
    method: 'POLE (WACV 2024)',
    source: 'POLE Tables 2-4; METHOD §8',
    figures: [
      { kind: 'cam', split: 'train', miou: 0.59 },
      { kind: 'pseudo_mask', split: 'train', miou: 0.742, note: 'IRN' },
      { kind: 'segmentation', split: 'val', miou: 0.715, note: 'DeepLabV2-R101, COCO init' },
    ],
  },
  {
    method: 'CLIMS camera-ready (CVPR 2022)',
    source: 'CLIMS README; POLE Tables 2-3; METHOD §8',
    figures: [
      { kind: 'cam', split: 'train', miou: 0.566 },
      { kind: 'pseudo_mask', split: 'train', miou: 0.705 },
      { kind: 'segmentation', split: 'val', miou: 0.704, note: 'DeepLabV2-R101, COCO init' },
    ],
  },
];
