"""CAM networks, backbones, the CLIP scorer and POLE adaptors (METHOD §1.2, §1.3, §2.3)."""
