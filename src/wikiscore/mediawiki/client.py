"""The async MediaWiki Action API client (one per wiki) and a pool of them.

Politeness is built in, not optional: a descriptive User-Agent, ``maxlag`` (default 5 s) with
Retry-After honoured, exponential backoff with jitter on 5xx and dropped connections, HTTP 429 /
``ratelimited`` with Retry-After, at most ``max_concurrency`` requests in flight per wiki (1
unless the registry says otherwise), gzip (not on loopback, where compressing only costs both
ends CPU), ``formatversion=2``, no redirects followed (a redirect could lead to a host outside
the registry: URLs come only from ``Wiki.api_url``).

Revisions are fetched by id in batches of 50 (500 when logged in with ``apihighlimits``) in at
most two round trips per batch: the revisions (with content if asked), then their parents'
content together with ``list=users`` for the editors; ``lean=True`` (with content) leaves out
the properties scoring never reads (sha1, tags), which cost the wiki about a tenth of a batch's
time. A missing, deleted or suppressed revision is an error value for that id only. Revision
text is cached in the store for good (it is immutable; an hour for local wikis, which may be
re-created), revision metadata for an hour (tags and deletion status can change), users for
60 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from wikiscore.config import load_config
from wikiscore.config import user_agent as default_user_agent
from wikiscore.errors import ConfigError, InvalidInput
from wikiscore.mediawiki import parse
from wikiscore.mediawiki.errors import (
    ApiError,
    LoginFailed,
    MalformedResponse,
    MaxLagExceeded,
    MediaWikiError,
    PageNotFound,
    RateLimited,
    RevisionDeleted,
    RevisionNotFound,
    UpstreamError,
    UpstreamTimeout,
    UserNotFound,
    WikiUnreachable,
)
from wikiscore.mediawiki.parse import CompareResult, RecentChange, RecentChangesPage
from wikiscore.mediawiki.transport import wiki_transport
from wikiscore.records import RevisionRecord, UserRecord, format_timestamp
from wikiscore.store import Store
from wikiscore.store.background import Foreground
from wikiscore.wikis import Wiki, WikiRegistry

__all__ = [
    "ClientPool",
    "CompareResult",
    "MediaWikiClient",
    "RecentChange",
    "RecentChangesPage",
]

log = logging.getLogger(__name__)

BATCH = 50
HIGH_BATCH = 500
USER_TTL = 60.0
METADATA_TTL = 3600.0
COMPARE_TTL = 3600.0
# Longer GET URLs go as POST (a batch of 500 ids is ~4 kB of query string).
_MAX_GET_URL = 2000
_RETRYABLE_API_CODES = ("internal_api_error", "readonly")


class _Retry(Exception):
    """One failed attempt: ``error`` if the budget runs out, ``wait`` seconds before the next."""

    def __init__(self, error: MediaWikiError, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait


class MediaWikiClient:
    """Talks to one wiki. Use ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        wiki: Wiki,
        *,
        store: Store | None = None,
        user_agent: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        maxlag: int = 5,
        max_concurrency: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 0.5,
        max_retry_wait: float = 60.0,
        username: str | None = None,
        password: str | None = None,
        batch_size: int | None = None,
        semaphore: asyncio.Semaphore | None = None,
        gzip: bool | None = None,
        foreground: Foreground | None = None,
    ) -> None:
        """``backoff``: first retry wait in seconds (doubled each time, with jitter).
        ``max_retry_wait``: the longest wait accepted; a Retry-After beyond it fails at once.
        ``username``/``password``: a bot password (``User@app``) to log in with; defaults from
        ``WIKISCORE_BOT_USERNAME``/``WIKISCORE_BOT_PASSWORD`` or ``[client]`` in the config.
        ``batch_size``: ids per request (default 50, or 500 with ``apihighlimits``).
        ``gzip``: ask for compressed answers (default: yes, unless the wiki is on loopback).
        ``foreground``: cache writes wait until its CPU steps are done (see
        ``wikiscore.store.background``).
        """
        if max_retries < 0 or timeout <= 0:
            raise ConfigError("max_retries must be >= 0 and timeout > 0")
        self.wiki = wiki
        self.store = store
        self.timeout = timeout
        self.max_retries = max_retries
        self.maxlag = maxlag
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self.max_concurrency = max_concurrency or wiki.max_concurrency or 1
        self._semaphore = semaphore or asyncio.Semaphore(self.max_concurrency)
        self._batch_size_override = batch_size
        self._username, self._password = _credentials(username, password)
        self._login_lock = asyncio.Lock()
        self._logged_in = False
        self._high_limits = False
        self._site_info: dict[str, Any] | None = None
        self.requests_made = 0
        # Cache writes run in the background, one after another; until one has landed, reads
        # find its values here (texts still uncompressed).
        self._pending: dict[str, dict[str, Any]] = {}
        self._last_write: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self.foreground = foreground
        self._http = httpx.AsyncClient(
            headers={
                "User-Agent": user_agent or default_user_agent(),
                "Accept-Encoding": "gzip" if _wants_gzip(gzip, wiki.api_url) else "identity",
            },
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=transport or wiki_transport(),
        )

    # -- lifecycle ------------------------------------------------------------------------------
    async def aclose(self) -> None:
        await self.flush_cache()
        await self._http.aclose()

    async def flush_cache(self) -> None:
        """Wait until every cache write made so far has landed in the store."""
        if self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    async def __aenter__(self) -> MediaWikiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def batch_size(self) -> int:
        if self._batch_size_override:
            return self._batch_size_override
        return HIGH_BATCH if self._high_limits else BATCH

    # -- revisions ------------------------------------------------------------------------------
    async def get_revisions(
        self,
        rev_ids: Iterable[int],
        *,
        content: bool = False,
        user_info: bool = False,
        lean: bool = False,
    ) -> dict[int, RevisionRecord | MediaWikiError]:
        """Revisions by id; an error value (never an exception) for an id that cannot be had.

        ``content=True`` fills ``text`` and ``parent_text`` ("" for a page creation);
        ``user_info=True`` fills groups, registration and edit count of registered editors;
        ``lean=True`` leaves ``sha1`` and ``tags`` out when fetching content (scoring never reads
        them; without content they are fetched, as sha1 tells whether the text is deleted).
        A batch the wiki did not answer gives that batch's ids the same error (unreachable,
        timeout …); other batches are unaffected.
        """
        ids = _revision_ids(rev_ids)
        results: dict[int, RevisionRecord | MediaWikiError] = {}
        wanted = [i for i in ids if i > 0]
        for rev_id in ids:
            if rev_id <= 0:
                results[rev_id] = parse.missing_revision_error(rev_id)
        entries, errors = await self._revision_entries(wanted, content=content, lean=lean)
        results.update(errors)

        parent_texts: dict[int, str | MediaWikiError] = {}
        users: dict[str, dict[str, Any] | MediaWikiError] = {}
        if content or user_info:
            parent_ids = set()
            for entry in entries.values() if content else ():
                parent_id = entry["parent_id"]
                if parent_id in entries:  # asked for together with its child
                    parent_texts[parent_id] = entries[parent_id].get("text", "")
                elif parent_id in errors:
                    parent_texts[parent_id] = errors[parent_id]
                elif parent_id:
                    parent_ids.add(parent_id)
            names = sorted(
                {
                    e["user"]["name"]
                    for e in entries.values()
                    if user_info and e["user"]["name"] and not e["user"]["anon"]
                }
            )
            fetched_texts, users = await self._parents_and_users(
                sorted(parent_ids), names, lean=lean
            )
            parent_texts.update(fetched_texts)

        for rev_id in wanted:
            if rev_id not in entries:
                continue
            entry = entries[rev_id]
            parent_text: str | None = None
            if content:
                parent_id = entry["parent_id"]
                found = parent_texts.get(parent_id, "") if parent_id else ""
                if isinstance(found, MediaWikiError):
                    results[rev_id] = _parent_error(rev_id, parent_id, found)
                    continue
                parent_text = found
            user = users.get(entry["user"]["name"]) if user_info else None
            results[rev_id] = parse.record_from_entry(
                entry,
                parent_text=parent_text,
                user=user if isinstance(user, dict) else None,
                with_text=content,
            )
        return {rev_id: results[rev_id] for rev_id in ids}

    async def _revision_entries(
        self, ids: list[int], *, content: bool, lean: bool = False
    ) -> tuple[dict[int, dict[str, Any]], dict[int, MediaWikiError]]:
        """Entries (with ``text`` when ``content``) from the cache, else from the wiki. A lean
        cached entry serves lean requests only."""
        keys = [str(i) for i in ids]
        meta, texts = await self._cache_get_each(
            (self._ns("revmeta"), keys), (self._ns("revtext"), keys if content else [])
        )
        entries: dict[int, dict[str, Any]] = {}
        errors: dict[int, MediaWikiError] = {}
        need_full, need_meta = [], []
        for rev_id in ids:
            cached = meta.get(str(rev_id))
            deleted = _deleted_marker(cached)
            if deleted is not None:
                errors[rev_id] = deleted
                continue
            entry = json.loads(cached) if cached is not None else None
            if entry is not None and entry.get("lean") and not lean:
                entry = None  # wants sha1 and tags
            if content and str(rev_id) not in texts:
                need_full.append(rev_id)
            elif entry is None:
                need_meta.append(rev_id)
            else:
                if content:
                    entry["text"] = _unpack_text(texts[str(rev_id)])
                entries[rev_id] = entry
        if need_full or need_meta:
            try:
                await self._ensure_login()  # logging in may raise the batch size to 500
            except MediaWikiError as exc:
                errors.update(dict.fromkeys(need_full + need_meta, exc))
                return entries, errors
        jobs = [(batch, True) for batch in parse.chunks(need_full, self.batch_size)]
        jobs += [(batch, False) for batch in parse.chunks(need_meta, self.batch_size)]
        answers = await asyncio.gather(
            *(self._fetch_revision_batch(batch, content=full, lean=lean) for batch, full in jobs),
            return_exceptions=True,
        )
        for (batch, full), answer in zip(jobs, answers, strict=True):
            if isinstance(answer, MediaWikiError):
                errors.update(dict.fromkeys(batch, answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                got, bad = answer
                if content and not full:  # metadata had expired; the text is still cached
                    for rev_id, entry in got.items():
                        entry["text"] = _unpack_text(texts[str(rev_id)])
                entries.update(got)
                errors.update(bad)
                for rev_id in batch:
                    if rev_id not in got and rev_id not in bad:
                        errors[rev_id] = MalformedResponse(
                            f"the wiki's answer did not mention revision {rev_id}"
                        )
        return entries, errors

    async def _fetch_revision_batch(
        self, ids: list[int], *, content: bool, lean: bool = False
    ) -> tuple[dict[int, dict[str, Any]], dict[int, MediaWikiError]]:
        params = _revision_params(ids, content=content, lean=lean)
        queries = await self._query_all(params)
        entries: dict[int, dict[str, Any]] = {}
        errors: dict[int, MediaWikiError] = {}
        for query in queries:
            got, bad = parse.parse_revisions_answer(query)
            entries.update(got)
            errors.update(bad)
        _mark_lean(entries.values(), lean and content)
        await self._remember_entries(entries.values(), with_text=content, errors=errors)
        return entries, errors

    async def _parents_and_users(
        self, parent_ids: list[int], names: list[str], *, lean: bool = False
    ) -> tuple[dict[int, str | MediaWikiError], dict[str, dict[str, Any] | MediaWikiError]]:
        """Parents' text and users' info, from the cache or in ONE combined query per batch."""
        keys = [str(i) for i in parent_ids]
        # A parent's metadata is looked up with its text (one trip to the store): it says
        # whether a text that is not cached is deleted.
        texts_cached, users_cached, metas = await self._cache_get_each(
            (self._ns("revtext"), keys), (self._ns("user"), names), (self._ns("revmeta"), keys)
        )
        parent_texts: dict[int, str | MediaWikiError] = {
            int(k): _unpack_text(v) for k, v in texts_cached.items()
        }
        users: dict[str, dict[str, Any] | MediaWikiError] = {
            k: json.loads(v) for k, v in users_cached.items()
        }
        for key, value in metas.items():
            deleted = _deleted_marker(value)
            if deleted is not None and int(key) not in parent_texts:
                parent_texts[int(key)] = deleted
        need_parents = [i for i in parent_ids if i not in parent_texts]
        need_users = [n for n in names if n not in users]
        size = self.batch_size
        parent_batches = parse.chunks(need_parents, size)
        user_batches = parse.chunks(need_users, size)
        count = max(len(parent_batches), len(user_batches))
        batches = [
            (
                parent_batches[i] if i < len(parent_batches) else [],
                user_batches[i] if i < len(user_batches) else [],
            )
            for i in range(count)
        ]
        answers = await asyncio.gather(
            *(self._fetch_parents_and_users(p, u, lean=lean) for p, u in batches),
            return_exceptions=True,
        )
        for (p_batch, u_batch), answer in zip(batches, answers, strict=True):
            if isinstance(answer, MediaWikiError):
                parent_texts.update(dict.fromkeys(p_batch, answer))
                users.update(dict.fromkeys(u_batch, answer))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                got_texts, got_users = answer
                parent_texts.update(got_texts)
                users.update(got_users)
        return parent_texts, users

    async def _fetch_parents_and_users(
        self, parent_ids: list[int], names: list[str], *, lean: bool = False
    ) -> tuple[dict[int, str | MediaWikiError], dict[str, dict[str, Any] | MediaWikiError]]:
        params: dict[str, Any] = {"action": "query"}
        if parent_ids:
            params.update(_revision_params(parent_ids, content=True, lean=lean))
        if names:
            params.update(list="users", ususers="|".join(names), usprop=parse.USER_PROPS)
        queries = await self._query_all(params)
        texts: dict[int, str | MediaWikiError] = {}
        users: dict[str, dict[str, Any] | MediaWikiError] = {}
        entries: dict[int, dict[str, Any]] = {}
        for query in queries:
            got, bad = parse.parse_revisions_answer(query) if parent_ids else ({}, {})
            entries.update(got)
            texts.update(bad)
            for item in query.get("users", []) or []:
                if item.get("missing") or item.get("invalid") or "name" not in item:
                    continue
                users[item["name"]] = parse.user_entry(item)
        for rev_id, entry in entries.items():
            texts[rev_id] = entry.get("text", "")
        _mark_lean(entries.values(), lean)
        await self._remember_entries(entries.values(), with_text=True, errors=texts)
        await self._cache_put(
            self._ns("user"),
            {n: json.dumps(u).encode() for n, u in users.items() if isinstance(u, dict)},
            ttl=USER_TTL,
        )
        return texts, users

    # -- users ----------------------------------------------------------------------------------
    async def get_users(self, names: Iterable[str]) -> dict[str, UserRecord | MediaWikiError]:
        """Registered users by name (groups, registration, edit count); IPs are anonymous users.

        Keys are the names as given; values are UserNotFound for unknown or invalid names.
        """
        requested = list(dict.fromkeys(str(n) for n in names))
        canonical = {name: parse.normalize_user_name(name) for name in requested}
        registered = sorted(
            {c for n, c in canonical.items() if c and parse.mediawiki_ip(n) is None}
        )
        _, found = await self._parents_and_users([], registered) if registered else ({}, {})
        results: dict[str, UserRecord | MediaWikiError] = {}
        for name in requested:
            ip = parse.mediawiki_ip(name)
            info = found.get(canonical[name])
            if ip is not None:
                results[name] = parse.anonymous_user(ip)
            elif isinstance(info, MediaWikiError):
                results[name] = info
            elif isinstance(info, dict):
                results[name] = parse.user_record(info)
            else:
                results[name] = UserNotFound(
                    f"no user named {name!r} on {self.wiki.dbname} (or not a valid user name)"
                )
        return results

    # -- recent changes, history, contributions ------------------------------------------------
    async def recent_changes(
        self,
        *,
        limit: int = 50,
        namespaces: Sequence[int] | None = None,
        since: datetime | None = None,
        continue_token: str | None = None,
        types: Sequence[str] = ("edit", "new"),
    ) -> RecentChangesPage:
        """One page of recent changes: newest first, or oldest first from ``since`` on.

        Pass ``continue_token`` from the previous page (with the same other arguments).
        """
        if not 1 <= limit <= 5000:
            raise InvalidInput(f"limit must be between 1 and 5000, got {limit}")
        unknown = set(types) - parse.RC_TYPES
        if unknown or not types:
            raise InvalidInput(
                f"unknown recent change types {sorted(unknown)}: use {sorted(parse.RC_TYPES)}"
            )
        params: dict[str, Any] = {
            "action": "query",
            "list": "recentchanges",
            "rcprop": parse.RC_PROPS,
            "rctype": "|".join(types),
            "rclimit": limit,
        }
        if namespaces:
            params["rcnamespace"] = "|".join(str(int(n)) for n in namespaces)
        if since is not None:
            params["rcdir"] = "newer"
            params["rcstart"] = format_timestamp(since)
        if continue_token:
            params["rccontinue"] = continue_token
            params["continue"] = "-||"
        data = await self.api_get(params)
        query = data.get("query") or {}
        items = [parse.recent_change(item) for item in query.get("recentchanges", [])]
        token = (data.get("continue") or {}).get("rccontinue")
        return RecentChangesPage(items=items, continue_token=token)

    async def page_history(self, title: str, *, limit: int = 50) -> list[RevisionRecord]:
        """The latest ``limit`` revisions of a page, oldest first (metadata, no text)."""
        if not 1 <= limit <= 10_000:
            raise InvalidInput(f"limit must be between 1 and 10000, got {limit}")
        params = {
            "action": "query",
            "prop": "revisions",
            "titles": title,
            "rvprop": parse.REVISION_PROPS,
            "rvlimit": min(limit, 500),
        }
        records: list[RevisionRecord] = []
        async for query in self._query_pages(params):
            for page in query.get("pages", []):
                if page.get("invalid"):
                    raise PageNotFound(f"{title!r} is not a valid page title")
                if page.get("missing"):
                    raise PageNotFound(f"no page titled {title!r} on {self.wiki.dbname}")
                for rev in page.get("revisions", []):
                    records.append(parse.record_from_entry(parse.revision_entry(rev, page)))
            if len(records) >= limit:
                break
        return list(reversed(records[:limit]))

    async def user_contributions(
        self, name: str, *, limit: int = 50, newest: bool = False
    ) -> list[RevisionRecord]:
        """A user's edits, oldest first: their first ``limit`` edits (``newest=True``: their
        latest ``limit``). Page title + namespace, timestamp, ids, size, comment, tags."""
        if not 1 <= limit <= 10_000:
            raise InvalidInput(f"limit must be between 1 and 10000, got {limit}")
        params = {
            "action": "query",
            "list": "usercontribs",
            "ucuser": name,
            "ucprop": "ids|title|timestamp|comment|size|flags|tags",
            "uclimit": min(limit, 500),
            "ucdir": "older" if newest else "newer",
        }
        records: list[RevisionRecord] = []
        try:
            async for query in self._query_pages(params):
                records.extend(parse.contribution_record(i) for i in query.get("usercontribs", []))
                if len(records) >= limit:
                    break
        except ApiError as exc:
            if exc.code == "baduser":
                raise UserNotFound(f"{name!r} is not a valid user name") from exc
            raise
        records = records[:limit]
        return list(reversed(records)) if newest else records

    async def compare(self, from_rev: int, to_rev: int) -> CompareResult:
        """MediaWiki's rendered diff (table rows) from one revision to another."""
        key = f"{int(from_rev)}:{int(to_rev)}"
        cached = await self._cache_get(self._ns("compare"), [key])
        if key in cached:
            return CompareResult(**json.loads(zlib.decompress(cached[key])))
        try:
            data = await self.api_get(
                {
                    "action": "compare",
                    "fromrev": from_rev,
                    "torev": to_rev,
                    "prop": "diff|ids|title",
                }
            )
        except ApiError as exc:
            if exc.code in ("nosuchrevid", "missingtitle"):
                raise RevisionNotFound(exc.info) from exc
            if exc.code in ("missingcontent", "revdeleted", "permissiondenied"):
                raise RevisionDeleted(exc.info) from exc
            raise
        body = data.get("compare")
        if not isinstance(body, dict) or "body" not in body:
            raise MalformedResponse(f"compare answer without a diff body: {str(data)[:200]}")
        result = CompareResult(
            from_rev=int(body.get("fromrevid", from_rev)),
            to_rev=int(body.get("torevid", to_rev)),
            html=str(body["body"]),
            from_title=str(body.get("fromtitle", "")),
            to_title=str(body.get("totitle", "")),
        )
        packed = zlib.compress(json.dumps(result.__dict__).encode(), 1)
        await self._cache_put(self._ns("compare"), {key: packed}, ttl=COMPARE_TTL)
        return result

    async def site_info(self) -> dict[str, Any]:
        """``{"general": ..., "namespaces": ..., "statistics": ...}`` from meta=siteinfo."""
        if self._site_info is None:
            data = await self.api_get(
                {"action": "query", "meta": "siteinfo", "siprop": "general|namespaces|statistics"}
            )
            query = data.get("query")
            if not isinstance(query, dict) or "general" not in query:
                raise MalformedResponse("siteinfo answer without query.general")
            self._site_info = query
        return dict(self._site_info)

    # -- the request core ------------------------------------------------------------------------
    async def api_get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """One Action API request (read) with every politeness rule; the decoded answer.

        Raises the typed error once the retry budget is spent: WikiUnreachable,
        UpstreamTimeout, MalformedResponse, RateLimited, MaxLagExceeded, UpstreamError, ApiError.
        """
        await self._ensure_login()
        return await self._request(params)

    async def _query_all(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every ``query`` object of a continued query (e.g. rvcontinue when content is big)."""
        return [query async for query in self._query_pages(params)]

    async def _query_pages(self, params: Mapping[str, Any]) -> Any:
        cont: dict[str, Any] = {}
        for _ in range(1000):
            data = await self.api_get({**params, **cont})
            query = data.get("query")
            if query is not None and not isinstance(query, dict):
                raise MalformedResponse("query is not an object")
            yield query or {}
            cont = data.get("continue") or {}
            if not cont:
                return
        raise MalformedResponse("the wiki kept answering 'continue' 1000 times")

    async def _request(self, params: Mapping[str, Any], *, post: bool = False) -> dict[str, Any]:
        full = {**params, "format": "json", "formatversion": "2"}
        if self.maxlag is not None:
            full["maxlag"] = self.maxlag
        attempt = 0
        while True:
            try:
                return await self._attempt(full, post=post)
            except _Retry as retry:
                wait = retry.wait  # the server's Retry-After: honoured, or we give up
                if wait is None:
                    wait = self.backoff * (2**attempt) * random.uniform(0.5, 1.5)
                    wait = min(wait, self.max_retry_wait)
                if attempt >= self.max_retries or wait > self.max_retry_wait:
                    raise retry.error from None
                attempt += 1
                log.info(
                    "%s: %s; retry %d/%d in %.2fs",
                    self.wiki.dbname,
                    retry.error.message,
                    attempt,
                    self.max_retries,
                    wait,
                )
                await asyncio.sleep(wait)

    async def _attempt(self, params: dict[str, Any], *, post: bool) -> dict[str, Any]:
        url = self.wiki.api_url
        get_url = None if post else httpx.URL(url, params=params)  # built once: reused below
        async with self._semaphore:
            self.requests_made += 1
            try:
                if get_url is None or len(str(get_url)) > _MAX_GET_URL:
                    response = await self._http.post(url, data=params)
                else:
                    response = await self._http.get(get_url)
            except httpx.TimeoutException as exc:
                raise _Retry(
                    UpstreamTimeout(
                        f"{self.wiki.dbname} did not answer within {self.timeout:g} s"
                        f" ({type(exc).__name__})"
                    )
                ) from None
            except httpx.ConnectError as exc:
                raise _Retry(
                    WikiUnreachable(f"cannot connect to {self.wiki.dbname} at {url}: {exc}")
                ) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError) as exc:
                raise _Retry(
                    MalformedResponse(
                        f"{self.wiki.dbname} closed the connection before the whole answer"
                        f" arrived (truncated body): {exc}"
                    )
                ) from None
            except httpx.TransportError as exc:
                raise _Retry(
                    WikiUnreachable(f"cannot talk to {self.wiki.dbname} at {url}: {exc}")
                ) from None
        return self._decode(response)

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        name = self.wiki.dbname
        status = response.status_code
        retry_after = _retry_after(response)
        if status == 429:
            raise _Retry(
                RateLimited(f"{name} answered HTTP 429 Too Many Requests", retry_after),
                retry_after,
            )
        if status >= 500:
            raise _Retry(
                UpstreamError(f"{name} answered HTTP {status} {response.reason_phrase}", status),
                retry_after,
            )
        if 300 <= status < 400:
            raise UpstreamError(
                f"{name} redirected to {response.headers.get('location')!r}; redirects are not"
                " followed (set the wiki's api_url to the final address)",
                status,
            )
        if status != 200:
            raise UpstreamError(
                f"{name} answered HTTP {status} {response.reason_phrase}: {_snippet(response)}",
                status,
            )
        content_type = response.headers.get("content-type", "")
        try:
            data = response.json()
        except ValueError:
            if "json" in content_type:
                raise _Retry(
                    MalformedResponse(
                        f"{name} sent incomplete JSON ({len(response.content)} bytes, truncated?)"
                    )
                ) from None
            raise MalformedResponse(
                f"{name} answered with {content_type or 'no content type'}, not JSON; is "
                f"{self.wiki.api_url} the wiki's api.php? Body starts: {_snippet(response)}"
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponse(f"{name} answered JSON that is not an object")
        error = data.get("error")
        if error is None and data.get("errors"):
            error = data["errors"][0]
        if error is not None:
            self._raise_api_error(error, retry_after)
        for module, warning in (data.get("warnings") or {}).items():
            log.warning("%s API warning (%s): %s", name, module, warning)
        return dict(data)

    def _raise_api_error(self, error: Any, retry_after: float | None) -> None:
        if not isinstance(error, dict):
            raise MalformedResponse(f"{self.wiki.dbname} sent a malformed error: {error!r:.200}")
        code = str(error.get("code", "unknown"))
        info = str(error.get("info") or error.get("text") or "")
        if code == "maxlag":
            lag = error.get("lag")
            wait = retry_after if retry_after is not None else float(self.maxlag or 5)
            raise _Retry(
                MaxLagExceeded(
                    f"{self.wiki.dbname}: replication lag {lag} s is above maxlag={self.maxlag}"
                    f" s (retry after {wait:g} s)",
                    wait,
                ),
                wait,
            )
        if code == "ratelimited":
            raise _Retry(RateLimited(f"{self.wiki.dbname}: {info}", retry_after), retry_after)
        if code.startswith(_RETRYABLE_API_CODES):
            raise _Retry(ApiError(code, info), retry_after)
        raise ApiError(code, info)

    # -- login ----------------------------------------------------------------------------------
    async def _ensure_login(self) -> None:
        if self._logged_in or not self._username:
            return
        async with self._login_lock:
            if self._logged_in:
                return
            data = await self._request({"action": "query", "meta": "tokens", "type": "login"})
            token = data.get("query", {}).get("tokens", {}).get("logintoken")
            if not token:
                raise MalformedResponse("no login token in the wiki's answer")
            data = await self._request(
                {
                    "action": "login",
                    "lgname": self._username,
                    "lgpassword": self._password,
                    "lgtoken": token,
                },
                post=True,
            )
            result = data.get("login", {})
            if result.get("result") != "Success":
                self._username = None  # do not retry a refused password on every request
                raise LoginFailed(
                    f"{self.wiki.dbname} refused the bot password of {result.get('lgusername')!r}"
                    f": {result.get('reason') or result.get('result')}"
                )
            info = await self._request({"action": "query", "meta": "userinfo", "uiprop": "rights"})
            rights = info.get("query", {}).get("userinfo", {}).get("rights", [])
            self._high_limits = "apihighlimits" in rights
            self._logged_in = True
            log.info(
                "%s: logged in as %s (apihighlimits: %s)",
                self.wiki.dbname,
                self._username,
                self._high_limits,
            )

    # -- cache ----------------------------------------------------------------------------------
    def _ns(self, kind: str) -> str:
        # The API URL is part of the key: a local wiki may be re-created under the same name.
        return f"mw:{kind}:{self.wiki.dbname}:{self.wiki.api_url}"

    async def _cache_get(self, namespace: str, keys: list[str]) -> dict[str, Any]:
        """Cached values (bytes; a text not yet written is still a str: see ``_unpack_text``)."""
        return (await self._cache_get_each((namespace, keys)))[0]

    async def _cache_get_each(self, *lookups: tuple[str, list[str]]) -> list[dict[str, Any]]:
        """``_cache_get`` for several (namespace, keys), in one trip to the store's thread
        (each trip costs more than the lookups themselves)."""
        found: list[dict[str, Any]] = []
        rest: list[tuple[str, list[str]]] = []
        for namespace, keys in lookups:
            pending = self._pending.get(namespace) or {}
            found.append({key: pending[key] for key in keys if key in pending})
            rest.append((namespace, [key for key in keys if key not in found[-1]]))
        store = self.store
        if store is not None and any(keys for _, keys in rest):
            stored = await asyncio.to_thread(
                lambda: [store.kv_get_many(ns, keys) if keys else {} for ns, keys in rest]
            )
            for values, more in zip(found, stored, strict=True):
                values.update(more)
        return found

    async def _cache_put(
        self,
        namespace: str,
        items: dict[str, Any],
        *,
        ttl: float | None,
        pack: Callable[[Any], bytes] | None = None,
    ) -> None:
        """Write to the cache in the background (off the path of the request that fetched the
        values); ``pack`` turns each value into bytes there (e.g. compresses a text)."""
        if self.store is None or not items:
            return
        self._pending.setdefault(namespace, {}).update(items)
        task = asyncio.create_task(self._write(namespace, items, ttl, pack, self._last_write))
        self._last_write = task
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(
        self,
        namespace: str,
        items: dict[str, Any],
        ttl: float | None,
        pack: Callable[[Any], bytes] | None,
        after: asyncio.Task[None] | None,
    ) -> None:
        if self.foreground is not None:
            await self.foreground.wait_idle()  # not beside the scoring step
        if after is not None:  # in order: a later value for a key must land last
            await asyncio.wait([after])
        store = self.store
        assert store is not None  # _cache_put only schedules writes when there is a store
        try:
            await asyncio.to_thread(_pack_and_put, store, namespace, items, ttl, pack)
        except Exception as exc:  # a cache that cannot be written only costs speed
            log.warning("cache write to %s failed: %r", namespace, exc)
        finally:
            pending = self._pending.get(namespace)
            if pending is not None:
                for key, value in items.items():
                    if pending.get(key) is value:
                        del pending[key]
            if self._last_write is asyncio.current_task():
                self._last_write = None

    async def _remember_entries(
        self,
        entries: Iterable[dict[str, Any]],
        *,
        with_text: bool,
        errors: Mapping[int, Any] | None = None,
    ) -> None:
        """Cache visible revisions (text for good) and deletion markers (for METADATA_TTL)."""
        meta: dict[str, bytes] = {
            str(rev_id): json.dumps({"deleted": error.message}).encode()
            for rev_id, error in (errors or {}).items()
            if isinstance(error, RevisionDeleted)
        }
        texts: dict[str, str] = {}
        for entry in entries:
            plain = {k: v for k, v in entry.items() if k != "text"}
            meta[str(entry["rev_id"])] = json.dumps(plain).encode()
            if with_text and "text" in entry:
                texts[str(entry["rev_id"])] = entry["text"]
        await self._cache_put(self._ns("revmeta"), meta, ttl=METADATA_TTL)
        # Text never changes on a public wiki; a local one may be wiped and re-created.
        text_ttl = METADATA_TTL if self.wiki.local else None
        await self._cache_put(self._ns("revtext"), texts, ttl=text_ttl, pack=_pack_text)


class ClientPool:
    """One client per wiki, created on first use; the per-wiki concurrency limit is shared by
    everything that uses the pool."""

    def __init__(
        self, registry: WikiRegistry, *, store: Store | None = None, **client_options: Any
    ) -> None:
        self.registry = registry
        self.store = store
        self.client_options = client_options
        self._clients: dict[str, MediaWikiClient] = {}

    def client(self, dbname: str) -> MediaWikiClient:
        """The client for ``dbname`` (UnknownWiki if it is not in the registry)."""
        existing = self._clients.get(dbname)
        if existing is None:
            wiki = self.registry.get_wiki(dbname)
            existing = MediaWikiClient(wiki, store=self.store, **self.client_options)
            self._clients[dbname] = existing
        return existing

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


# -- helpers --------------------------------------------------------------------------------------


def _revision_ids(rev_ids: Iterable[int]) -> list[int]:
    ids: list[int] = []
    for value in rev_ids:
        if isinstance(value, bool):
            raise InvalidInput(f"not a revision id: {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"not a revision id: {value!r}") from None
        if isinstance(value, float) and number != value:
            raise InvalidInput(f"not a revision id: {value!r}")
        ids.append(number)
    return list(dict.fromkeys(ids))


def _revision_params(ids: Sequence[int], *, content: bool, lean: bool = False) -> dict[str, Any]:
    # Lean only with content: without it, ``sha1hidden`` is how MediaWiki says the text is
    # revision-deleted (with content, the main slot says ``texthidden``).
    props = parse.LEAN_REVISION_PROPS if lean and content else parse.REVISION_PROPS
    params: dict[str, Any] = {
        "action": "query",
        "prop": "revisions",
        "revids": "|".join(str(i) for i in ids),
        "rvprop": props + ("|content" if content else ""),
    }
    if content:
        params["rvslots"] = "main"
    return params


def _mark_lean(entries: Iterable[dict[str, Any]], lean: bool) -> None:
    """Lean entries say so in the cache, so a request that wants sha1 and tags refetches."""
    if lean:
        for entry in entries:
            entry["lean"] = True


def _wants_gzip(asked: bool | None, api_url: str) -> bool:
    if asked is not None:
        return asked
    host = httpx.URL(api_url).host
    return not (host in ("localhost", "::1") or host.startswith("127."))


def _parent_error(rev_id: int, parent_id: int, error: MediaWikiError) -> MediaWikiError:
    if isinstance(error, RevisionDeleted):
        return RevisionDeleted(
            f"revision {rev_id}: the text of its parent revision {parent_id} is deleted"
        )
    if isinstance(error, RevisionNotFound):
        return RevisionNotFound(f"revision {rev_id}: its parent revision {parent_id} is missing")
    return error


def _deleted_marker(cached: bytes | None) -> RevisionDeleted | None:
    if cached is None or not cached.startswith(b'{"deleted"'):
        return None
    return RevisionDeleted(str(json.loads(cached)["deleted"]))


def _pack_text(text: str) -> bytes:
    return zlib.compress(text.encode(), 1)


def _unpack_text(value: bytes | str) -> str:
    """A cached text: compressed bytes from the store, or the text itself if not written yet."""
    return value if isinstance(value, str) else zlib.decompress(value).decode()


def _pack_and_put(
    store: Store,
    namespace: str,
    items: dict[str, Any],
    ttl: float | None,
    pack: Callable[[Any], bytes] | None,
) -> None:
    """Worker-thread side of a cache write (zlib releases the GIL while it compresses)."""
    packed = {key: pack(value) for key, value in items.items()} if pack else items
    store.kv_put_many(namespace, packed, ttl)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def _snippet(response: httpx.Response) -> str:
    text = response.text[:160].replace("\n", " ")
    return repr(text)


def _credentials(username: str | None, password: str | None) -> tuple[str | None, str | None]:
    if username is None:
        username = os.environ.get("WIKISCORE_BOT_USERNAME") or None
        password = password or os.environ.get("WIKISCORE_BOT_PASSWORD") or None
    if username is None:
        section = load_config().get("client", {})
        if isinstance(section, dict) and section.get("bot_username"):
            username = str(section["bot_username"])
            password = password or str(section.get("bot_password") or "") or None
    if username and not password:
        raise ConfigError(
            f"a bot username ({username}) needs a bot password too "
            "(WIKISCORE_BOT_PASSWORD or [client] bot_password)"
        )
    return username, password
