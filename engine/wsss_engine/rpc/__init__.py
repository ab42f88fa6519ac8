"""JSON-RPC 2.0 over stdio between the extension and the engine (docs/ARCHITECTURE.md, "protocol")."""
