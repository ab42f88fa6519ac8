"""Run folders (the durable contract the extension reads), run configs and metrics."""
