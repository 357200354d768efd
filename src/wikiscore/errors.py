"""Typed errors shared by every layer.

Owns the error vocabulary: each error has a stable ``type`` (a short snake_case string used in
JSON error objects such as ``{"error": {"type": ..., "message": ...}}``) and a human message.
Must not import anything from the rest of wikiscore: every package may raise these.
"""

from __future__ import annotations

from typing import Any


class WikiscoreError(Exception):
    """Base class; ``error_type`` names the failure in JSON error objects."""

    error_type = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, Any]:
        return {"type": self.error_type, "message": self.message}


class ConfigError(WikiscoreError):
    """A configuration file or environment variable is malformed."""

    error_type = "config_error"


class UnknownWiki(WikiscoreError):
    """A wiki name that is not in the registry (nothing is contacted)."""

    error_type = "unknown_wiki"


class InvalidInput(WikiscoreError):
    """Input from a user or client that cannot be used (bad record, bad id, bad parameter)."""

    error_type = "invalid_input"


class UnknownModel(WikiscoreError):
    """A model name that no artifact or registry entry provides."""

    error_type = "unknown_model"
