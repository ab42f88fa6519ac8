"""Engine request `clipCams/word` (docs/ARCHITECTURE.md, protocol; METHOD §10): the training-free CAM of one word
on a few images of its class, for the synonym-bank editor (the word being typed or selected) and the CAM panel
("training-free, this word").

{runDir, class, word, imageIds?, count?} -> {class, word, clip, images: [{imageId, width, height, overlay,
probability, score}]}: `overlay` a PNG data URL of the image with the CAM blended in; `probability` the word's
softmax probability among the class and background prompts (what Grad-CAM differentiates); `score` the
selection step's cosine of the CAM-masked image with "a photo of {word}." (METHOD §2.2: the score POLE ranks
words by). Without `imageIds`, the first `count` (default 4) images of the run's train list labelled with the
class. The run's CLIP is synonym_scoring.RunSource's (loaded once per process); the CAM settings are the run's
first clip_cams stage's, else that stage's defaults for the run (stages/clip_cams.py `run_params`), with the
input's long side capped at MAX_INPUT_SIDE unless the stage sets its own cap.
Long and cancellable: the editor cancels the previous request when the word changes.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import threading

import numpy as np
import torch
from PIL import Image

from ..errors import Cancelled, DatasetError
from .server import register_request

MAX_SIDE = 160  # overlays are thumbnails: the editor shows several side by side
MAX_INPUT_SIDE = 320  # the CAM's input long side unless the run's clip_cams stage sets max_side


def overlay_png(rgb: np.ndarray, cam: np.ndarray) -> str:
    """Data URL of the image (long side MAX_SIDE at most) with the CAM as a red-to-yellow heat blend."""
    heat = np.clip(cam, 0, 1)[..., None]
    colour = np.concatenate([np.ones_like(heat), heat, np.zeros_like(heat)], axis=-1) * 255
    blended = rgb.astype(np.float32) * (1 - 0.6 * heat) + colour * 0.6 * heat
    image = Image.fromarray(blended.round().clip(0, 255).astype(np.uint8))
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def word_cams(params: dict, cancelled: threading.Event) -> dict:
    from ..pole.selection import WordScorer
    from ..pole.synonym_bank import SynonymBank
    from ..prompts.vocabulary import check_vocabulary
    from ..stages.clip_cams import maker_for, run_params
    from .synonym_scoring import RunSource  # here: importing it registers synonyms/score (a test plugin drops it)

    def check_cancelled() -> None:
        if cancelled.is_set():
            raise Cancelled("clipCams/word was cancelled", "")

    run = RunSource(params["runDir"])
    dataset = run.datasets()[0]
    cls, word = str(params["class"]), str(params["word"]).strip()
    if cls not in dataset.classes:
        raise DatasetError(f"{cls!r} is not a class of run {run.path}", f"its classes are {dataset.classes}", run.path)
    if not word:
        raise DatasetError("clipCams/word needs a word", "type a word", run.path)
    k = dataset.classes.index(cls)
    ids = [str(i) for i in params.get("imageIds") or []]
    if not ids:
        ids = [i for i in dataset.ids if k in dataset.labels[i]][: int(params.get("count") or 4)]
    unknown = [i for i in ids if i not in dataset.image_paths]
    if unknown:
        raise DatasetError(f"image id(s) {unknown[:5]} are not in list {dataset.list_name!r}", "", dataset.root)
    clip = run.clip()
    check_cancelled()
    p = run_params(run.config)
    if not p.settings.max_side:  # thumbnails: a capped input keeps a photo's CAM within the editor's second
        p = dataclasses.replace(p, max_side=MAX_INPUT_SIDE)
    maker = maker_for(clip, dataset.classes, run.bank(dataset.classes, None), p, run.resolve)
    check_vocabulary(clip.tokenizer, [p.settings.template.format(word)], "clipCams/word", clip.description)
    one_word = SynonymBank.from_dict({cls: [word]}, [cls], "the word sent with clipCams/word")
    scorer = WordScorer(clip, one_word, [cls], p.settings.template)
    images = []
    for image_id in ids:
        check_cancelled()
        rgb = np.asarray(dataset.read_image(image_id).convert("RGB"), np.uint8)
        _, _, high_res, prob = maker.record(rgb, [k], {k: [word]})
        with torch.no_grad():
            (score,) = score_words_on(maker, scorer, rgb, high_res[0])
        images.append(
            {
                "imageId": image_id,
                "width": int(rgb.shape[1]),
                "height": int(rgb.shape[0]),
                "overlay": overlay_png(rgb, high_res[0]),
                "probability": round(float(prob[0]), 6),
                "score": round(float(score), 6),
            }
        )
    return {"class": cls, "word": word, "clip": clip.description, "images": images}


def score_words_on(maker, scorer, rgb: np.ndarray, cam: np.ndarray) -> list[float]:
    """The selection step's cosine of the image masked by `cam` with the scorer's (one) word prompt."""
    from ..pole.selection import masked_rgb

    clip = maker.clip
    batch = clip.preprocess(masked_rgb(rgb, cam))[None].to(clip.device)
    emb = clip.encode_image(clip.normalize(batch))
    return list(scorer.scores(emb, [0])[0].values())


register_request("clipCams/word", word_cams)
