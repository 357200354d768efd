"""The wiki registry: database name → API URL, content language and request limits.

Owns the only place where a wiki's URL is made. Every network call wikiscore makes goes to a
URL taken from a :class:`Wiki` in this registry, so no request parameter can make wikiscore
contact another host. Must not make HTTP requests itself.
"""

from wikiscore.wikis.registry import Wiki, WikiRegistry, default_registry, parse_wikis_env

__all__ = ["Wiki", "WikiRegistry", "default_registry", "parse_wikis_env"]
