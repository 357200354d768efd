"""Sessions, CSRF protection and security headers for the patrol page.

A browser session is a random id in an HttpOnly, SameSite=Strict cookie. Forms and the page's
script send a CSRF token, an HMAC of the session id under a server secret, and a POST is
accepted only when that token matches the session cookie *and* the request is same-origin
(``Origin`` / ``Sec-Fetch-Site``, when the browser sends them). The secret comes from
``WIKISCORE_WEB_SECRET`` or ``[web] secret`` in the config file (set it for several replicas),
otherwise from a file created once under the data directory.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fastapi import Request, Response

from wikiscore.config import home_dir, load_config
from wikiscore.errors import ConfigError

SESSION_COOKIE = "wikiscore_session"
REVIEWER_COOKIE = "wikiscore_reviewer"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# Inline scripts and styles are not allowed: the page's script and stylesheet are files.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class CsrfError(Exception):
    """A state-changing request that is not proven to come from our own page."""


def _secret_from_file(path: Path) -> bytes:
    try:
        # O_EXCL: when several workers start at once, exactly one creates the secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker may have created the file and not written it yet: wait briefly.
        for _ in range(100):
            value = path.read_text(encoding="ascii").strip()
            if value:
                break
            time.sleep(0.01)
        if len(value) < 32:
            raise ConfigError(
                f"{path}: web secret is too short; delete the file to renew it"
            ) from None
        return value.encode()
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value.encode()


def web_secret() -> bytes:
    """The HMAC key of CSRF tokens (stable across restarts, shared by replicas if configured)."""
    explicit = os.environ.get("WIKISCORE_WEB_SECRET") or str(
        load_config().get("web", {}).get("secret", "")
    )
    if explicit:
        if len(explicit) < 16:
            raise ConfigError("the web secret must be at least 16 characters long")
        return explicit.encode()
    return _secret_from_path(str(home_dir() / "web-secret"))


@lru_cache(maxsize=4)
def _secret_from_path(path: str) -> bytes:
    return _secret_from_file(Path(path))


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def session_id(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() \
        else None  # fmt: skip


def csrf_token(session: str) -> str:
    return hmac.new(web_secret(), b"csrf:" + session.encode(), hashlib.sha256).hexdigest()


def ensure_session(request: Request, response: Response) -> str:
    """The request's session id, creating one (and its cookie) when there is none."""
    session = session_id(request)
    if session is None:
        session = new_session_id()
        response.set_cookie(
            SESSION_COOKIE,
            session,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
            max_age=365 * 86400,
        )
    return session


def check_same_origin(request: Request, *, trust_forwarded: bool = False) -> None:
    """Reject cross-site requests by the headers browsers add (they cannot be forged by a page).

    Behind a reverse proxy that rewrites ``Host``, set the service's ``trust_forwarded`` so that
    ``X-Forwarded-Host`` (the name the browser used) counts as our own origin too.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CsrfError(f"cross-site request refused (Sec-Fetch-Site: {site})")
    origin = request.headers.get("origin")
    if origin == "null":
        raise CsrfError("request from an opaque origin refused")
    if origin is not None:
        hosts = {request.headers.get("host", "")}
        forwarded = request.headers.get("x-forwarded-host")
        if trust_forwarded and forwarded:
            hosts.add(forwarded.split(",")[0].strip())
        if urlsplit(origin).netloc not in hosts:
            raise CsrfError(f"request from another origin refused ({origin})")


def check_csrf(request: Request, submitted: str | None, *, trust_forwarded: bool = False) -> str:
    """Verify the same-origin token of a POST; returns the session id. Raises CsrfError."""
    check_same_origin(request, trust_forwarded=trust_forwarded)
    session = session_id(request)
    if session is None:
        raise CsrfError("no session cookie: reload the page and try again")
    token = submitted or request.headers.get(CSRF_HEADER)
    if not token:
        raise CsrfError("missing CSRF token: reload the page and try again")
    if not hmac.compare_digest(token, csrf_token(session)):
        raise CsrfError("CSRF token does not match this session: reload the page and try again")
    return session


def default_reviewer_name(session: str) -> str:
    """A stable pseudonym for a session that has not chosen a name."""
    return "reviewer-" + hashlib.sha256(session.encode()).hexdigest()[:8]


ResponseT = TypeVar("ResponseT", bound=Response)


def add_security_headers(response: ResponseT) -> ResponseT:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response
