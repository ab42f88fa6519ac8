"""The embedded default: a synthetic world (procedural images with exact masks, co-occurring backgrounds,
a synonym bank) and a tiny CLIP trained on it, so the whole POLE/CLIMS pipeline learns on a laptop CPU.
Every result produced from it is labelled SYNTHETIC."""
