"""The HTTP transport under the MediaWiki client: httpx's interface, aiohttp's connections.

Owns moving one request and its answer, and naming a transport failure with the httpx
exception that says what happened (the client turns those into its own errors). Must not know
about the Action API, retries or caching.

Why not httpx's own transport: with it, fetching a revision and its parent's text cost 1.7 ms
more CPU and 2.4 ms more time (p50) on this 2-core machine (httpcore, h11 and anyio in pure
Python against aiohttp's C parser; ``benchmarks/bench_transport.py``), paid by every uncached
score. ``httpx-aiohttp`` plugs aiohttp in as an httpx transport; its own mapping of aiohttp's
errors is coarse (a refused connection and a server that hangs up both become
``ConnectTimeout``), so this module maps them again from the original error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


def wiki_transport(max_connections: int = 100) -> httpx.AsyncBaseTransport:
    """A transport for one ``httpx.AsyncClient``; its aiohttp session opens on first use."""
    return _PreciseAiohttpTransport(
        client=lambda: aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_connections),
            # Cookies (a bot login's session) are httpx's to keep: a second jar here would
            # send them twice.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
    )


class _PreciseAiohttpTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise _precise(exc, request) from exc
        response.stream = _PreciseStream(response.stream, request)
        return response


class _PreciseStream(httpx.AsyncByteStream):
    """The answer's body; a failure while reading it is named like one before it."""

    def __init__(self, inner: httpx.AsyncByteStream | httpx.SyncByteStream, request: httpx.Request):
        assert isinstance(inner, httpx.AsyncByteStream)
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
            raise _precise(exc, self._request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


def _precise(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception for a failure, judged by aiohttp's original error."""
    original = exc.__cause__ if isinstance(exc, httpx.TransportError) and exc.__cause__ else exc
    message = str(original) or type(original).__name__
    kind: type[httpx.TransportError]
    if isinstance(original, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(original, TimeoutError):  # aiohttp's read timeouts are TimeoutErrors too
        kind = httpx.ReadTimeout
    elif isinstance(original, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(
        original,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        kind = httpx.RemoteProtocolError  # hung up early, cut the body, or not HTTP
    elif isinstance(original, aiohttp.ClientOSError):
        kind = httpx.ReadError  # e.g. connection reset
    elif isinstance(exc, httpx.TransportError):
        return exc
    else:
        kind = httpx.TransportError
    return kind(message, request=request)
