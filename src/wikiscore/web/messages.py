"""The patrol page's text catalogue: every word the page shows comes from ``messages/<lang>.json``.

A message is a string with ``{name}`` placeholders, or an object of plural forms
(``{"one": ..., "other": ...}``) chosen by the ``count`` parameter. A translation file needs
only the keys it translates; the rest fall back to English. Plural choice here follows English
("one" for 1, "other" otherwise) until a translation brings a language with other rules.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE_DIR = Path(__file__).resolve().parent / "messages"
DEFAULT_LANG = "en"
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")


@lru_cache(maxsize=16)
def _load(lang: str) -> dict[str, Any]:
    path = CATALOGUE_DIR / f"{lang}.json"
    if not _LANG_RE.match(lang) or not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    return {k: v for k, v in data.items() if not k.startswith("@")}


def available_languages() -> list[str]:
    return sorted(p.stem for p in CATALOGUE_DIR.glob("*.json"))


class Messages:
    """Look up and format messages for one language (English fallback)."""

    def __init__(self, lang: str = DEFAULT_LANG, *, strict: bool = False) -> None:
        self.lang = lang if _load(lang) else DEFAULT_LANG
        self.strict = strict
        self._table = {**_load(DEFAULT_LANG), **_load(self.lang)}

    def __contains__(self, key: str) -> bool:
        return key in self._table

    def keys(self) -> list[str]:
        return list(self._table)

    def raw(self, key: str) -> Any:
        return self._table[key]

    def __call__(self, key: str, /, **params: Any) -> str:
        template = self._table.get(key)
        if template is None:
            if self.strict:
                raise KeyError(f"no message {key!r} in the {self.lang} catalogue")
            return key
        if isinstance(template, dict):
            count = params.get("count", 0)
            template = template["one"] if count == 1 else template["other"]
        params = {k: _format_value(v) for k, v in params.items()}
        return template.format_map(params) if params else template

    def subset(self, prefix: str) -> dict[str, Any]:
        """Messages whose keys start with ``prefix`` (handed to the page's script as JSON)."""
        return {k: v for k, v in self._table.items() if k.startswith(prefix)}


def _format_value(value: Any) -> Any:
    # Thousands separators for counts ("removes 2,300 words"); other values unchanged.
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
