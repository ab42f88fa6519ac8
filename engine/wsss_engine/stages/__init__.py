"""Stage modules. Each registers its stage type(s) with `wsss_engine.pipeline.register_stage` on import and
exposes `run(ctx: StageContext, params: dict) -> dict` (docs/ARCHITECTURE.md, "StageContext").

The pipeline imports the modules named below one by one, on first need: a module that is not written yet is
skipped, one that fails to import makes only its stage types unavailable (the error names the module).
Adding a stage = one line here (its module name under wsss_engine.stages, or a full dotted path).
"""

STAGE_MODULES: list[str] = [
    "baseline_cam",
    "infer_cams",
    "select_prompts",
    "train_clims",
    "evaluate",
    "export_onnx",
    "synthetic_world",
    "train_tiny_clip",
    "ir_labels",
    "train_irn",
    "random_walk",
    "train_segmenter",
    "infer_segmenter",
    "clip_cams",
]
