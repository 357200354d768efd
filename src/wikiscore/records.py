"""The plain, immutable data every layer passes on: revisions, users, pages.

Owns the boundary types between fetching (``mediawiki``, ``dumps``, JSON record files) and
everything downstream (``features``, ``models``, ``scoring``). Records are frozen pydantic models
so that JSON record files (the ``score-file`` schema) are validated with clear messages, and so
that the same record type is used in training, batch scoring and live serving (no skew).
Must not fetch or compute anything.

The JSON record schema (``score-file`` input, unsaved edits in the API)::

    {"rev_id": 123, "text": "...", "parent_text": "...",
     "user": {"name": "Alice", "id": 42, "anon": false, "groups": ["user"],
              "registration": "2015-01-01T00:00:00Z"},
     "timestamp": "2015-06-01T12:00:00Z", "comment": "...",
     "page": {"title": "Foo", "namespace": 0}}

``parent_text`` is empty (or null) for a page creation. Timestamps are UTC, in ISO 8601
(``YYYY-MM-DDTHH:MM:SSZ``) or MediaWiki's ``YYYYMMDDHHMMSS`` form.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wikiscore.errors import InvalidInput


def parse_timestamp(value: Any) -> datetime | None:
    """A UTC datetime from ISO 8601, MediaWiki's 14-digit form, a datetime, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 14 and text.isascii() and text.isdigit():
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not a timestamp: {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"not a timestamp: {value!r}")


def format_timestamp(value: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ``, the form MediaWiki's API and revscoring use."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        return json.loads(self.model_dump_json())


class UserRecord(_Record):
    """An editor as seen at the time of an edit. Anonymous editors have ``id`` 0 and an IP name."""

    name: str | None = None
    id: int | None = None
    anon: bool = False
    groups: tuple[str, ...] | None = None
    registration: datetime | None = None
    edit_count: int | None = None

    @field_validator("registration", mode="before")
    @classmethod
    def _parse_registration(cls, value: Any) -> datetime | None:
        return parse_timestamp(value)

    def model_post_init(self, _context: Any) -> None:
        # A record that says anon without an id is anonymous in MediaWiki's sense (user id 0).
        if self.anon and self.id is None:
            object.__setattr__(self, "id", 0)


class PageRecord(_Record):
    title: str = ""
    namespace: int = 0
    id: int | None = None


class RevisionRecord(_Record):
    """One revision, with its parent's text when content was asked for.

    ``text`` is None when content was not fetched; ``parent_text`` is "" for a page creation
    and None when not fetched.
    """

    rev_id: int | None = None
    parent_id: int | None = None
    page: PageRecord = Field(default_factory=PageRecord)
    user: UserRecord = Field(default_factory=UserRecord)
    timestamp: datetime | None = None
    comment: str = ""
    size: int | None = None
    sha1: str | None = None
    tags: tuple[str, ...] = ()
    minor: bool = False
    text: str | None = None
    parent_text: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _parse_ts(cls, value: Any) -> datetime | None:
        return parse_timestamp(value)

    @field_validator("comment", mode="before")
    @classmethod
    def _none_comment(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def is_creation(self) -> bool:
        return not self.parent_id and not self.parent_text

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["timestamp"] = format_timestamp(self.timestamp)
        data["user"]["registration"] = format_timestamp(self.user.registration)
        return data


def revision_from_json(data: Any) -> RevisionRecord:
    """Validate one JSON record (already decoded); raise InvalidInput saying what was wrong."""
    if not isinstance(data, dict):
        raise InvalidInput(f"a revision record must be a JSON object, got {type(data).__name__}")
    try:
        return RevisionRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_describe_validation_error(exc)) from exc


def _describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg']}")
    return "invalid revision record: " + "; ".join(parts)
