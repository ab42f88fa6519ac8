"""Stage modules. Each registers its stage type with `wsss_engine.stage_registry.register_stage` on import and
exposes `run(ctx: StageContext, params: dict) -> dict` (docs/ARCHITECTURE.md, "StageContext"); the table of
built-in types is stage_registry.BUILTIN_STAGES (a module is imported when a run first needs its type)."""
