"""The segmentation half of the pipeline (METHOD §5): networks, their init weights, training data from pseudo
masks, and multi-scale inference to palette PNGs. Stages: stages/train_segmenter.py, stages/infer_segmenter.py."""
