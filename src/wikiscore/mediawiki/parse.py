"""Turn MediaWiki Action API JSON (``formatversion=2``) into records and typed errors.

Pure functions, no IO: the client calls them on decoded JSON; tests can call them on stored
answers. A revision is first parsed into a plain "entry" dict (what the client caches), then
turned into a :class:`~wikiscore.records.RevisionRecord`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wikiscore.mediawiki.errors import (
    MalformedResponse,
    MediaWikiError,
    RevisionDeleted,
    RevisionNotFound,
)
from wikiscore.records import PageRecord, RevisionRecord, UserRecord, parse_timestamp

#: Revision properties asked for every revision (content is added when wanted).
REVISION_PROPS = "ids|timestamp|user|userid|comment|size|sha1|tags|flags"
#: What scoring reads (sha1 and tags cost the wiki a hash lookup and a join per revision).
LEAN_REVISION_PROPS = "ids|timestamp|user|userid|comment|size|flags"
#: Recent change properties.
RC_PROPS = "title|ids|sizes|flags|user|userid|timestamp|comment|tags"
#: What list=users reports.
USER_PROPS = "groups|registration|editcount"
RC_TYPES = frozenset({"edit", "new", "log", "external", "categorize"})


@dataclass(frozen=True)
class RecentChange:
    rc_id: int
    rev_id: int | None
    parent_id: int | None
    title: str
    namespace: int
    user: str | None
    anon: bool
    timestamp: datetime | None
    comment: str
    old_size: int | None
    new_size: int | None
    type: str
    tags: tuple[str, ...] = ()
    bot: bool = False
    minor: bool = False


@dataclass(frozen=True)
class RecentChangesPage:
    items: list[RecentChange] = field(default_factory=list)
    continue_token: str | None = None


@dataclass(frozen=True)
class CompareResult:
    from_rev: int
    to_rev: int
    html: str
    from_title: str = ""
    to_title: str = ""


# -- names --------------------------------------------------------------------------------------


def mediawiki_ip(name: str) -> str | None:
    """The form MediaWiki shows an IP editor in (IPv6 upper-case, no zero compression), or None
    if ``name`` is not an IP address. ``2001:db8::7`` → ``2001:DB8:0:0:0:0:0:7``."""
    try:
        address = ipaddress.ip_address(name.strip())
    except ValueError:
        return None
    if address.version == 4:
        return str(address)
    return ":".join(f"{int(part, 16):X}" for part in address.exploded.split(":"))


def normalize_user_name(name: str) -> str:
    """MediaWiki's canonical user name on a first-letter-case wiki (``foo_bar`` → ``Foo bar``)."""
    ip = mediawiki_ip(name)
    if ip is not None:
        return ip
    name = " ".join(name.replace("_", " ").split())
    return name[:1].upper() + name[1:]


def is_anonymous(item: Mapping[str, Any]) -> bool:
    """The API's ``anon`` flag, or user id 0 with an IP address as name (list=usercontribs has
    no flag). Imported edits ("imported>Name") also have user id 0 but are not anonymous."""
    if item.get("anon"):
        return True
    name = item.get("user")
    return item.get("userid") == 0 and isinstance(name, str) and mediawiki_ip(name) is not None


# -- revisions ----------------------------------------------------------------------------------


def hidden_parts(rev: Mapping[str, Any]) -> list[str]:
    """Which parts of a revision are deleted: any of ``text``, ``user``, ``comment``."""
    parts = []
    main = rev.get("slots", {}).get("main", {}) if isinstance(rev.get("slots"), dict) else {}
    if rev.get("texthidden") or rev.get("sha1hidden") or main.get("texthidden"):
        parts.append("text")
    if rev.get("userhidden"):
        parts.append("user")
    if rev.get("commenthidden"):
        parts.append("comment")
    return parts


def revision_entry(rev: Mapping[str, Any], page: Mapping[str, Any]) -> dict[str, Any]:
    """A plain, JSON-able dict of one visible revision (``text`` only if content was fetched)."""
    try:
        rev_id = int(rev["revid"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"a revision without a revid: {dict(rev)!r:.200}") from exc
    anon = is_anonymous(rev)
    entry: dict[str, Any] = {
        "rev_id": rev_id,
        "parent_id": int(rev.get("parentid") or 0),
        "page": {
            "title": page.get("title", ""),
            "namespace": int(page.get("ns", 0)),
            "id": page.get("pageid"),
        },
        "user": {"name": rev.get("user"), "id": rev.get("userid"), "anon": anon},
        "timestamp": rev.get("timestamp"),
        "comment": rev.get("comment", ""),
        "size": rev.get("size"),
        "sha1": rev.get("sha1"),
        "tags": list(rev.get("tags", [])),
        "minor": bool(rev.get("minor")),
    }
    slots = rev.get("slots")
    if isinstance(slots, dict) and "main" in slots:
        main = slots["main"]
        if "content" in main:
            entry["text"] = main["content"]
        elif not main.get("texthidden") and not main.get("missing"):
            entry["text"] = ""
    elif "content" in rev:  # pre-MCR answer shape
        entry["text"] = rev["content"]
    return entry


def deleted_error(rev: Mapping[str, Any], rev_id: int) -> RevisionDeleted:
    parts = hidden_parts(rev)
    how = "suppressed (hidden from administrators too)" if rev.get("suppressed") else "deleted"
    return RevisionDeleted(f"revision {rev_id}: {', '.join(parts)} {how} by revision deletion")


def missing_revision_error(rev_id: int) -> RevisionNotFound:
    return RevisionNotFound(
        f"revision {rev_id} does not exist (it never existed, or its page was deleted)"
    )


def parse_revisions_answer(
    query: Mapping[str, Any],
) -> tuple[dict[int, dict[str, Any]], dict[int, MediaWikiError]]:
    """Visible revision entries and per-id errors (missing, deleted) from a ``query`` object."""
    entries: dict[int, dict[str, Any]] = {}
    errors: dict[int, MediaWikiError] = {}
    bad = query.get("badrevids") or {}
    if not isinstance(bad, dict):
        raise MalformedResponse(f"badrevids is not an object: {bad!r:.200}")
    for key in bad:
        try:
            rev_id = int(key)
        except ValueError:
            continue
        errors[rev_id] = missing_revision_error(rev_id)
    pages = query.get("pages") or []
    if not isinstance(pages, list):
        raise MalformedResponse("pages is not a list (was formatversion=2 ignored?)")
    for page in pages:
        for rev in page.get("revisions", []) or []:
            entry = revision_entry(rev, page)
            if hidden_parts(rev):
                errors[entry["rev_id"]] = deleted_error(rev, entry["rev_id"])
            else:
                entries[entry["rev_id"]] = entry
    return entries, errors


def record_from_entry(
    entry: Mapping[str, Any],
    *,
    parent_text: str | None = None,
    user: Mapping[str, Any] | None = None,
    with_text: bool = False,
) -> RevisionRecord:
    """A RevisionRecord from a cached/parsed entry, with parent text and user info if given."""
    user_fields: dict[str, Any] = dict(entry["user"])
    if user:
        user_fields.update(
            groups=tuple(user.get("groups") or ()),
            registration=user.get("registration"),
            edit_count=user.get("edit_count"),
        )
    return RevisionRecord(
        rev_id=entry["rev_id"],
        parent_id=entry["parent_id"] or None,
        page=PageRecord(**entry["page"]),
        user=UserRecord(**user_fields),
        timestamp=entry["timestamp"],
        comment=entry.get("comment") or "",
        size=entry.get("size"),
        sha1=entry.get("sha1"),
        tags=tuple(entry.get("tags") or ()),
        minor=bool(entry.get("minor")),
        text=entry.get("text") if with_text else None,
        parent_text=parent_text if with_text else None,
    )


# -- users --------------------------------------------------------------------------------------


def user_entry(user: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": user["name"],
        "id": user.get("userid"),
        "groups": list(user.get("groups") or []),
        "registration": user.get("registration"),
        "edit_count": user.get("editcount"),
    }


def user_record(entry: Mapping[str, Any]) -> UserRecord:
    return UserRecord(
        name=entry["name"],
        id=entry.get("id"),
        anon=False,
        groups=tuple(entry.get("groups") or ()),
        registration=entry.get("registration"),
        edit_count=entry.get("edit_count"),
    )


def anonymous_user(ip: str) -> UserRecord:
    return UserRecord(name=ip, id=0, anon=True)


# -- recent changes, contributions ---------------------------------------------------------------


def recent_change(item: Mapping[str, Any]) -> RecentChange:
    try:
        return RecentChange(
            rc_id=int(item["rcid"]),
            rev_id=int(item["revid"]) if item.get("revid") else None,
            parent_id=int(item["old_revid"]) if item.get("old_revid") else None,
            title=str(item.get("title", "")),
            namespace=int(item.get("ns", 0)),
            user=item.get("user"),
            anon=bool(item.get("anon")),
            timestamp=parse_timestamp(item.get("timestamp")),
            comment=str(item.get("comment") or ""),
            old_size=item.get("oldlen"),
            new_size=item.get("newlen"),
            type=str(item.get("type", "")),
            tags=tuple(item.get("tags") or ()),
            bot=bool(item.get("bot")),
            minor=bool(item.get("minor")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected recent change: {dict(item)!r:.200}") from exc


def contribution_record(item: Mapping[str, Any]) -> RevisionRecord:
    try:
        return RevisionRecord(
            rev_id=int(item["revid"]),
            parent_id=int(item.get("parentid") or 0) or None,
            page=PageRecord(
                title=item.get("title", ""), namespace=int(item.get("ns", 0)), id=item.get("pageid")
            ),
            user=UserRecord(
                name=item.get("user"),
                id=item.get("userid"),
                anon=is_anonymous(item),
            ),
            timestamp=item.get("timestamp"),
            comment=item.get("comment") or "",
            size=item.get("size"),
            tags=tuple(item.get("tags") or ()),
            minor=bool(item.get("minor")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unexpected contribution: {dict(item)!r:.200}") from exc


def chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]
