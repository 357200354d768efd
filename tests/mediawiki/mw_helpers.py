"""Helpers for the MediaWiki tests: a counting transport around the real one, clients."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from wikiscore.localwiki.server import LocalWiki
from wikiscore.mediawiki.client import MediaWikiClient
from wikiscore.mediawiki.transport import wiki_transport

#: Faults are injected only for clients whose User-Agent contains this (other tests unaffected).
FAULT_AGENT = "wikiscore-fault-test"


class CountingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport, counting requests and how many were in flight at once.

    Not a mock: every request goes to the real local wiki; this only watches.
    """

    def __init__(self) -> None:
        self.inner = wiki_transport()  # the transport clients use by default
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()

    def params(self) -> list[dict[str, str]]:
        """Each request's parameters (query string or form body)."""
        out = []
        for request in self.requests:
            params = dict(request.url.params)
            if request.method == "POST":
                params.update(httpx.QueryParams(request.content.decode()))
            out.append(params)
        return out


def make_client(wiki: LocalWiki, **options: Any) -> tuple[MediaWikiClient, CountingTransport]:
    transport = CountingTransport()
    options.setdefault("user_agent", f"{FAULT_AGENT} (tests; https://example.org/wikiscore)")
    return MediaWikiClient(wiki.as_wiki(), transport=transport, **options), transport


def run(coro: Any) -> Any:
    return asyncio.run(coro)
