"""Protection: request size limits, per-client rate limits, API tokens, metrics and access logs.

:class:`GuardMiddleware` is one plain ASGI middleware (cheaper than a stack of
``BaseHTTPMiddleware``): it refuses oversized query strings and bodies (414/413), applies a
token bucket per client (429 with ``Retry-After``), and records every request's status and
latency by route template in Prometheus and in one JSON access-log line.

:func:`require_token` is the reusable FastAPI dependency for write and admin endpoints::

    @router.post("/admin/thing", dependencies=[Depends(require_token("admin"))])
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from wikiscore.serve import metrics
from wikiscore.serve.errors import ApiError, error_doc
from wikiscore.serve.settings import ApiToken, ServeSettings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("wikiscore.access")

# Monitoring must keep working when a client is throttled.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


# -- tokens ---------------------------------------------------------------------------------
def find_token(tokens: Sequence[ApiToken], authorization: str | None) -> ApiToken | None:
    """The configured token sent as ``Authorization: Bearer …`` (constant-time compare)."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    sent = value.strip().encode()
    match = None
    for token in tokens:
        if hmac.compare_digest(sent, token.token.encode()):
            match = token
    return match


def require_token(scope: str = "write") -> Callable[[Request], Awaitable[ApiToken]]:
    """A dependency that returns the caller's :class:`ApiToken` or answers 401/403."""

    async def dependency(request: Request) -> ApiToken:
        settings: ServeSettings = request.app.state.wikiscore.settings
        if not settings.tokens:
            raise ApiError(
                403,
                "forbidden",
                "this endpoint needs an API token and none is configured on this server "
                "(set WIKISCORE_API_TOKENS or [[serve.tokens]] in the config file)",
            )
        token = find_token(settings.tokens, request.headers.get("authorization"))
        if token is None:
            raise ApiError(
                401,
                "unauthorized",
                f"this endpoint needs an API token with the {scope!r} scope, sent as "
                "'Authorization: Bearer TOKEN'",
                headers={"WWW-Authenticate": 'Bearer realm="wikiscore"'},
            )
        if not token.allows(scope):
            raise ApiError(403, "forbidden", f"token {token.name!r} lacks the {scope!r} scope")
        return token

    dependency.__name__ = f"require_{scope}_token"
    return dependency


# -- rate limiting --------------------------------------------------------------------------
@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per client: ``rate`` requests a second sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, max_clients: int = 50_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def check(self, client: str, now: float | None = None) -> float:
        """0 if the request may go ahead, else seconds to wait before retrying."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._prune(now)
            bucket = self._buckets[client] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        # Buckets that have refilled completely carry no information.
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_clients:
            self._buckets.clear()


# -- the middleware -------------------------------------------------------------------------
class GuardMiddleware:
    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = _headers(scope)
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        client = self._client(scope, headers)
        status_box = [0]
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            refusal = await self._refusal(scope, headers, client, path)
            if refusal is not None:
                status, body_doc, extra = refusal
                await _send_json(send_wrapper, status, body_doc, extra)
                return
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                body = await self._read_body(receive)
                if body is None:
                    metrics.REJECTED.labels("body").inc()
                    limit = self.settings.max_body_bytes
                    doc = error_doc(413, "request_too_large", f"request body over {limit} bytes")
                    await _send_json(send_wrapper, 413, doc, {})
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            status_box[0] = status_box[0] or 500
            raise
        finally:
            metrics.IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            metrics.REQUESTS.labels(scope.get("method", ""), route, str(status_box[0])).inc()
            metrics.LATENCY.labels(route).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "fields": {
                            "event": "request",
                            "method": scope.get("method"),
                            "path": path,
                            "route": route,
                            "status": status_box[0],
                            "duration_ms": round(elapsed * 1000, 2),
                            "client": client,
                            "request_id": request_id,
                        }
                    },
                )

    def _client(self, scope: Scope, headers: dict[str, str]) -> str:
        if self.settings.trust_forwarded:
            forwarded = headers.get("x-client-ip") or headers.get("x-forwarded-for", "")
            first = forwarded.split(",")[0].strip()
            if first:
                return first[:64]
        peer = scope.get("client")
        return str(peer[0]) if peer else "unknown"

    async def _refusal(
        self, scope: Scope, headers: dict[str, str], client: str, path: str
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        query = scope.get("query_string", b"")
        if len(query) > self.settings.max_query_chars:
            metrics.REJECTED.labels("query").inc()
            limit = self.settings.max_query_chars
            return 414, error_doc(414, "uri_too_long", f"query string over {limit} characters"), {}
        length = headers.get("content-length")
        if length is not None:
            if not (length.isascii() and length.isdigit()):
                return 400, error_doc(400, "invalid_input", "Content-Length is not a number"), {}
            if int(length) > self.settings.max_body_bytes:
                metrics.REJECTED.labels("body").inc()
                limit = self.settings.max_body_bytes
                return (
                    413,
                    error_doc(413, "request_too_large", f"request body over {limit} bytes"),
                    {},
                )
        if path in UNLIMITED_PATHS or self.limiter.rate <= 0:
            return None
        if self.settings.tokens and find_token(self.settings.tokens, headers.get("authorization")):
            return None  # tools with an API token are trusted not to flood
        wait = self.limiter.check(client)
        if wait > 0:
            metrics.RATE_LIMITED.inc()
            retry = max(1, math.ceil(wait))
            message = (
                f"rate limit of {self.settings.rate_limit:g} requests/s per client exceeded; "
                f"retry after {retry} s"
            )
            return 429, error_doc(429, "rate_limited", message), {"retry-after": str(retry)}
        return None

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def _send_json(send: Send, status: int, doc: dict[str, Any], extra: dict[str, str]) -> None:
    body = json.dumps(doc).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
