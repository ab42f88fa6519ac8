"""CAM inference and scoring: multi-scale CAMs (METHOD §3.1), confusion-matrix mIoU (METHOD §3.2, §6)."""
