"""Engine plugins: WSSS_ENGINE_PLUGINS="pkg.mod,other.mod" names modules imported at startup (serve, run,
validate-config). A plugin registers stage types with `wsss_engine.stage_registry.register_stage` (or its
re-export `wsss_engine.pipeline.register_stage`; passing a params schema for types outside
schemas/run-config.schema.json) and may add requests with
`wsss_engine.rpc.server.register_request`. The modules must be importable (on PYTHONPATH)."""

from __future__ import annotations

import importlib
import logging
import os

PLUGINS_ENV = "WSSS_ENGINE_PLUGINS"
log = logging.getLogger("wsss_engine.plugins")


def load_plugins() -> dict[str, str]:
    """Import every plugin module; returns {module: error} for those that failed (they are logged, not fatal)."""
    failed: dict[str, str] = {}
    for name in filter(None, (n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(","))):
        try:
            importlib.import_module(name)
            log.info("plugin %s loaded", name)
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
            log.error(
                "plugin %s (from %s) cannot be imported: %s; check PYTHONPATH and the module", name, PLUGINS_ENV, exc
            )
    return failed
