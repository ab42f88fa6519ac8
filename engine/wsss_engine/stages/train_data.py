"""The training set baseline_cam and train_clims read: the config's training list with METHOD §1.1
augmentation (here, not in training/, because it reads stage params and the run's dataset section); with
input_pipeline "tensor" its items are undecoded files and their draws (data/encoded.py, docs/THROUGHPUT.md)."""

from __future__ import annotations

from dataclasses import dataclass

from ..data.encoded import EncodedVOCDataset, TrainDraws
from ..data.tensor_pipeline import check_input_pipeline
from ..data.transforms import TrainTransform
from ..data.voc import VOCDataset
from ..stage_context import StageContext
from ..stage_params import StageParams
from . import references


@dataclass(frozen=True)
class TrainDataParams(StageParams):
    """The training-set params baseline_cam and train_clims share: `from_params(params, stage_type)`."""

    split: str
    skip_corrupt: bool
    input_pipeline: str  # "reference" (PIL in the loader workers) | "tensor" (decode + augment on the device)
    crop_size: int | None = None  # None: dataset.image_size
    resize_long: tuple | None = None  # None: the image_size's METHOD §1.1 rescale range

    def __post_init__(self) -> None:
        check_input_pipeline(self.input_pipeline)


def train_dataset(ctx: StageContext, p: TrainDataParams) -> VOCDataset:
    """The training list with METHOD §1.1 augmentation; crop = dataset.image_size unless p.crop_size. With
    input_pipeline "tensor" an EncodedVOCDataset: file bytes + the same draws, decoded on the device."""
    crop = int(p.crop_size or ctx.config["dataset"]["image_size"])
    transform = (
        TrainTransform(resize_long=p.resize_long, crop_size=crop)
        if p.resize_long
        else TrainTransform.for_image_size(crop)
    )
    tensor = p.input_pipeline == "tensor"
    kind = EncodedVOCDataset if tensor else VOCDataset
    extra = {"draws": TrainDraws(transform.resize_long, transform.crop_size, transform.hflip)} if tensor else {}
    return kind(
        references.dataset_root(ctx),
        references.image_list(ctx, {"split": p.split}),
        references.dataset_classes(ctx),
        transform=transform,
        **extra,
        empty_labels="skip",
        skip_corrupt=p.skip_corrupt,
        log=lambda m: ctx.log(m, level="warning"),
    )
