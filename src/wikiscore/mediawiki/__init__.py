"""Async MediaWiki Action API client.

Owns talking to wikis: batching (50 ids a request), continuation, politeness (User-Agent,
maxlag and Retry-After, backoff with jitter, one request in flight per wiki), typed errors per
id, and caching of immutable revision content in the store. Turns API JSON into ``records``.
Must not compute features or know about models; URLs come only from the ``wikis`` registry.
"""
