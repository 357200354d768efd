"""Typed MediaWiki client errors. ``error_type`` values are part of the public JSON output."""

from __future__ import annotations

from wikiscore.errors import WikiscoreError


class MediaWikiError(WikiscoreError):
    """Base class for anything that went wrong talking to a wiki."""

    error_type = "mediawiki_error"


class WikiUnreachable(MediaWikiError):
    """Connection refused, DNS failure, TLS failure: the wiki did not answer at all."""

    error_type = "wiki_unreachable"


class UpstreamTimeout(MediaWikiError):
    """The wiki accepted the connection but did not answer within the timeout."""

    error_type = "upstream_timeout"


class MalformedResponse(MediaWikiError):
    """The wiki answered with something that is not the expected JSON (truncated, HTML …)."""

    error_type = "malformed_response"


class ApiError(MediaWikiError):
    """The API answered with an ``error`` object (``code`` and ``info`` are MediaWiki's)."""

    error_type = "api_error"

    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info


class RateLimited(MediaWikiError):
    """HTTP 429 or ``ratelimited`` beyond the retry budget."""

    error_type = "rate_limited"


class MaxLagExceeded(MediaWikiError):
    """Replication lag stayed above ``maxlag`` beyond the retry budget."""

    error_type = "maxlag"


class RevisionNotFound(MediaWikiError):
    """No such revision id (never existed, or the page was deleted)."""

    error_type = "revision_not_found"


class RevisionDeleted(MediaWikiError):
    """The revision exists but its text (or user, or comment) is deleted or suppressed."""

    error_type = "revision_deleted"


class UserNotFound(MediaWikiError):
    error_type = "user_not_found"
