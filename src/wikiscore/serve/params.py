"""Request parameter parsing shared by the ORES and Lift Wing routers.

Every parser raises :class:`~wikiscore.serve.errors.ApiError` (400 unless said otherwise) with
a message naming the parameter and what was wrong with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from wikiscore.errors import UnknownModel, UnknownWiki
from wikiscore.scoring.service import MAX_REV_ID, Scorer
from wikiscore.serve.errors import ApiError
from wikiscore.serve.shapes import EDIT_MODEL_ALIASES, USER_MODEL_ALIASES
from wikiscore.wikis import Wiki, WikiRegistry

TRUE_WORDS = frozenset({"", "1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def bad(message: str, status: int = 400, error_type: str = "invalid_input") -> ApiError:
    return ApiError(status, error_type, message)


def parse_flag(name: str, value: Any) -> bool:
    """ORES-style flags: present (``?features``) or true/1/yes is True; false/0/no is False."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return True
    if isinstance(value, str) and value.strip().lower() in FALSE_WORDS:
        return False
    raise bad(f"{name} must be true or false, got {str(value)[:40]!r}")


def parse_rev_id(value: Any, name: str = "rev_id") -> int:
    if isinstance(value, bool):
        raise bad(f"{name} must be a positive integer revision id, got {json.dumps(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):  # int() would take "١٢", not "³"
            raise bad(f"{name}: {value[:40]!r} is not a revision id (a positive integer)")
        value = int(text)
    if not isinstance(value, int):
        shown = json.dumps(value)[:40] if _jsonable(value) else type(value).__name__
        raise bad(f"{name} must be a positive integer revision id, got {shown}")
    if not 0 < value < MAX_REV_ID:
        raise bad(f"{name}: {value} is not a valid revision id (1 to 2^53)")
    return value


def parse_rev_ids(value: str | None, max_count: int) -> list[int]:
    if value is None or not value.strip():
        return []
    items = value.split("|")
    if len(items) > max_count:
        raise bad(f"Too many values for 'revids' parameter: {len(items)}. Max of {max_count}.")
    return [parse_rev_id(item, "revids") for item in items]


def parse_names(value: str | None, param: str) -> list[str]:
    if value is None or not value.strip():
        return []
    names = [n.strip() for n in value.split("|")]
    if any(not n for n in names):
        raise bad(f"{param}: empty name in {value[:80]!r} (names are separated by '|')")
    if len(names) > 20:
        raise bad(f"{param}: at most 20 names, got {len(names)}")
    return list(dict.fromkeys(names))


def parse_json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise bad('the request body is empty; send a JSON object such as {"rev_id": 123}')
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise bad("the request body nests too deeply to be a request") from None
    if not isinstance(body, dict):
        raise bad(f"the request body must be a JSON object, got a JSON {_json_type(body)}")
    return body


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# -- contexts and models --------------------------------------------------------------------
def contexts(scorer: Scorer | None, registry: WikiRegistry) -> list[str]:
    """Wikis that serve at least one model (ORES "contexts"), local wikis first."""
    if scorer is None:
        return []
    found = []
    for wiki in sorted(registry.values(), key=lambda w: (not w.local, w.dbname)):
        if scorer.models_for(wiki):
            found.append(wiki.dbname)
    return found


def context_wiki(scorer: Scorer | None, registry: WikiRegistry, name: str) -> Wiki:
    """The wiki for a context name; 404 naming the contexts that exist otherwise."""
    wiki = registry.get(name)
    if wiki is not None and scorer is not None and scorer.models_for(wiki):
        return wiki
    known = contexts(scorer, registry)
    listed = ", ".join(known[:30]) + (" …" if len(known) > 30 else "") if known else "none yet"
    if wiki is None:
        message = (
            f"No scorers available for {name[:80]!r}: not a registered wiki. Contexts: {listed}"
        )
        raise ApiError(404, UnknownWiki.error_type, message)
    message = (
        f"No scorers available for {name!r}: no model for its language ({wiki.lang}). "
        f"Contexts: {listed}"
    )
    raise ApiError(404, "unknown_context", message)


def canonical_model(scorer: Scorer, wiki: str, name: str, kind: str | None = "edit") -> str:
    """The API name of the model a client asked for by ``name`` (aliases included)."""
    if kind in (None, "user") and name in USER_MODEL_ALIASES:
        users = scorer.models_for(wiki, "user")
        if name in users:
            return name
        if len(users) == 1:
            return next(iter(users))
    candidate = EDIT_MODEL_ALIASES.get(name, name) if kind in (None, "edit") else name
    try:
        return scorer.resolve(wiki, candidate, kind).api_name
    except UnknownModel:
        raise UnknownModel(_unknown_model_message(scorer, wiki, name, kind)) from None


def _unknown_model_message(scorer: Scorer, wiki: str, name: str, kind: str | None) -> str:
    names = sorted(scorer.models_for(wiki, kind))
    aliases = sorted(EDIT_MODEL_ALIASES) if kind in (None, "edit") and "editrisk" in names else []
    offered = ", ".join(names) or "none"
    extra = f" (also accepted: {', '.join(aliases)})" if aliases else ""
    return f"Models ({name[:60]!r},) not available for {wiki}; available: {offered}{extra}"


def resolve_models(
    scorer: Scorer, wiki: str, names: Sequence[str], status: int = 400
) -> dict[str, str]:
    """Requested name → canonical API name, for every requested edit model (400 if unknown)."""
    resolved = {}
    for name in names:
        try:
            resolved[name] = canonical_model(scorer, wiki, name, "edit")
        except UnknownModel as exc:
            raise ApiError(status, exc.error_type, exc.message) from None
    return resolved


def wiki_for_language(registry: WikiRegistry, lang: str) -> str:
    """Lift Wing's ``lang`` → the Wikipedia of that language (``en`` → ``enwiki``); when no
    Wikipedia of that language is registered, the only registered wiki of that language."""
    if not isinstance(lang, str) or not lang.strip():
        raise bad('"lang" must be a language code such as "en"')
    code = lang.strip().lower()[:20]
    candidate = code.replace("-", "_") + "wiki"
    wiki = registry.get(candidate)
    if wiki is not None and not wiki.local:
        return candidate
    same_language = registry.by_lang(code)
    for wiki in same_language:
        if not wiki.local:
            return wiki.dbname
    if len(same_language) == 1:
        return same_language[0].dbname
    if same_language:
        names = ", ".join(w.dbname for w in same_language[:10])
        raise bad(f'"lang": several wikis have language {code!r} ({names}); say which with "wiki"')
    raise bad(f'"lang": no wiki with language code {code!r} is registered')
