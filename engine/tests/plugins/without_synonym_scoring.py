"""Test plugin (WSSS_ENGINE_PLUGINS=without_synonym_scoring, this folder on PYTHONPATH): the engine as it was
before `synonyms/score` had a module, so that the "-32601, not implemented yet" path of rpc/server.py and the
synonym panel's "not supported" state stay tested against a real engine."""

from wsss_engine.rpc import server

server.REQUEST_MODULES.remove("wsss_engine.rpc.synonym_scoring")
