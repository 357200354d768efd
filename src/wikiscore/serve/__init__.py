"""The HTTP service: a FastAPI app with ORES v3 and Lift Wing compatible routers.

Owns request parsing and validation, response shapes, limits, tokens, metrics and OpenAPI.
Routers are thin adapters onto ``scoring``; they must not fetch from wikis, compute features
or touch model internals themselves.
"""
