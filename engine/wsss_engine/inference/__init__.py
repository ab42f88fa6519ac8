"""Inference helpers shared by the stages that run a network over an image list (issue 11)."""
