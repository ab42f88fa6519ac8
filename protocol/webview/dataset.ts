/**
 * Dataset browser panel (extension/panels/dataset/* <-> webview/dataset/*): any VOC-layout root, a
 * virtualised thumbnail grid, class filters with counts, labels, GT mask overlay, a detail view.
 * Images travel as data: URIs made by the host with sharp (thumbnails cached on disk).
 */
import type { PanelContract } from './common';
import type { ChainKind } from './report';

/** Something wrong with the dataset: what, which file, what to do. */
export interface DatasetProblem {
  message: string;
  hint?: string;
  path?: string;
}

/** The open dataset, or why none is open. Arrays are parallel to `ids`. */
export interface DatasetSnapshot {
  /** The folder holding JPEGImages/ (VOCdevkit resolves to VOCdevkit/VOC2012); null when none is open. */
  root: string | null;
  /** Why the root could not be opened (not VOC-layout, unreadable list...); the panel stays usable. */
  problem: DatasetProblem | null;
  /** Things that work only partly (no masks, labels missing for some images...). */
  warnings: DatasetProblem[];
  /** Foreground class names (index i is mask value i + 1). */
  classes: string[];
  /** Image lists available: names from ImageSets/Segmentation (and the root), plus 'all'. */
  sets: string[];
  /** The list shown. */
  set: string;
  /** Image ids of the list, in list order. */
  ids: string[];
  /** Class indices of each image (image-level labels); empty when unknown. */
  labels: number[][];
  /** 1 when the image has a GT mask, else 0. */
  hasMask: number[];
  /** 1 when the image file exists, else 0. */
  hasImage: number[];
  /** Where labels came from: a file path, 'Annotations', or 'none'. */
  labelSource: string;
  /** True for the project's synthetic world (shown as a tag). */
  synthetic: boolean;
  /** With no root open: VOC-layout roots found in the workspace and in run configs, offered as shortcuts. */
  suggestions?: string[];
}

/** One thumbnail: a data: URI, or why there is none. */
export interface Thumbnail {
  id: string;
  url?: string;
  error?: string;
}

/** Full-size view of one image. */
export interface ImageDetail {
  id: string;
  /** data: URI of the photo (JPEG), absent with `error` when unreadable. */
  imageUrl?: string;
  width: number;
  height: number;
  error?: string;
  /** data: URI of the GT mask in palette colours, background transparent; null when the image has none. */
  maskUrl: string | null;
  /** Why the mask could not be shown (missing, unreadable, wrong size). */
  maskProblem: string | null;
  /** Classes (index) present in the mask with their share of pixels, largest first. */
  maskClasses: { index: number; fraction: number }[];
  /** Image-level labels (class indices). */
  labels: number[];
  /** The chosen run's label map of this image (absent when none is chosen). */
  runMask?: RunMaskDetail;
}

/** A run's label maps the browser can overlay: <run>/masks/<stage>/<id>.png (IR labels, pseudo masks, segmenter). */
export interface RunMaskSource {
  runDir: string;
  runName: string;
  synthetic: boolean;
  stage: string;
  /** The stage type from run.json, null when run.json does not list the folder. */
  type: string | null;
  kind: ChainKind;
}

/** Which run mask set is overlaid. */
export interface RunMaskChoice {
  runDir: string;
  stage: string;
}

/** One image's label map from a run, beside the GT. */
export interface RunMaskDetail {
  /** "<run> · masks/<stage>". */
  label: string;
  /** PNG data: URI in palette colours, background transparent (ignore half-transparent); null with `problem`. */
  url: string | null;
  problem: string | null;
  /** mIoU against the GT mask on this image (pixels both label), null without GT. */
  iou: number | null;
  /** Share of the GT's labelled pixels the map labels. */
  labelled: number | null;
}

/** Saved with setState: reopening restores the root, list, filter and selection. */
export interface DatasetState {
  root?: string | null;
  set?: string;
  /** An older panel's one-class filter (read once, then replaced by `filter`). */
  classFilter?: number | null;
  /** Images with all of / any of `include` and none of `exclude` (class indices; webview/dataset/classFilter.ts). */
  filter?: { include: number[]; exclude: number[]; mode: 'all' | 'any' };
  selectedId?: string | null;
  showMask?: boolean;
  opacity?: number;
  scrollTop?: number;
  /** A run's masks overlaid beside the GT, if any. */
  runMasks?: RunMaskChoice | null;
}

export interface DatasetContract extends PanelContract {
  requests: {
    /** Open a root (null: ask the user with a folder dialog) and list; answers the new snapshot. */
    'dataset/open': { params: { root: string | null; set?: string }; result: DatasetSnapshot };
    /** Thumbnails for a batch of ids (the visible rows). */
    'dataset/thumbnails': { params: { ids: string[] }; result: Thumbnail[] };
    /** The detail view of one image (photo, mask, labels), with a run's label map when `runMasks` is given. */
    'dataset/image': { params: { id: string; runMasks?: RunMaskChoice | null }; result: ImageDetail };
    /** Every run's masks/<stage> folder under the runs directory and the workspace, to overlay. */
    'dataset/maskSources': { params: Record<string, never>; result: RunMaskSource[] };
  };
  toWebview: Record<string, never>;
  toHost: Record<string, never>;
  snapshot: DatasetSnapshot;
  state: DatasetState;
}
