"""VOC-layout datasets and the METHOD §1.1 / §3.1 transforms."""
