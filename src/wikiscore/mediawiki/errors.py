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

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MaxLagExceeded(MediaWikiError):
    """Replication lag stayed above ``maxlag`` beyond the retry budget."""

    error_type = "maxlag"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamError(MediaWikiError):
    """The wiki answered with an HTTP error status (5xx beyond the retry budget, 4xx, 3xx)."""

    error_type = "upstream_error"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LoginFailed(MediaWikiError):
    """The configured bot password was refused (nothing else is requested with it)."""

    error_type = "login_failed"


class PageNotFound(MediaWikiError):
    """No page with that title (or the title is not valid)."""

    error_type = "page_not_found"


class RevisionNotFound(MediaWikiError):
    """No such revision id (never existed, or the page was deleted)."""

    error_type = "revision_not_found"


class RevisionDeleted(MediaWikiError):
    """The revision exists but its text (or user, or comment) is deleted or suppressed."""

    error_type = "revision_deleted"


class UserNotFound(MediaWikiError):
    error_type = "user_not_found"
