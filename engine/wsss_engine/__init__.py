"""WSSS Studio engine: weakly supervised semantic segmentation (POLE on CLIMS) behind a JSON-RPC server and a CLI."""

__version__ = "0.1.0"
