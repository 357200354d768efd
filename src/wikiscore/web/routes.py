"""HTTP routes of the patrol page: queue (``/``), rows for refreshing, review, feedback, stats.

Server-rendered with Jinja2; the page's small script (``static/patrol.js``) adds keyboard
shortcuts, the review panel and refreshing, and every action also works without it (plain
links and forms). All text comes from the message catalogue (``messages/en.json``).

Reads the service's shared objects from ``app.state`` (see :func:`services`); fetches and
scores only through ``ClientPool`` and ``Scorer``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from wikiscore.errors import InvalidInput, UnknownModel, UnknownWiki, WikiscoreError
from wikiscore.web import security
from wikiscore.web.diffhtml import sanitize_diff_html
from wikiscore.web.feedback import (
    FLAGGED_LEVELS,
    VERDICTS,
    Feedback,
    FeedbackStore,
    clean_reviewer,
    parse_submission,
)
from wikiscore.web.messages import Messages, available_languages
from wikiscore.web.queue import (
    EDITOR_FILTERS,
    LEVEL_ORDER,
    PatrolQueue,
    QueueQuery,
    QueueRow,
    apply_score,
    is_newcomer,
)

WEB_DIR = Path(__file__).resolve().parent
STATIC_FILES = {"patrol.css": "text/css", "patrol.js": "text/javascript"}
NAMESPACES = (0, 1, 2, 3, 4, 6, 10, 14)
SHORTCUTS = (
    ("j", "keys.next"),
    ("k", "keys.previous"),
    ("o", "keys.open"),
    ("g", "keys.good"),
    ("b", "keys.bad"),
    ("u", "keys.unsure"),
    ("Esc", "keys.close"),
)
DEFAULT_REFRESH_SECONDS = 15
DEFAULT_LIMIT = 50
MAX_LIMIT = 100  # the queue ranks the latest 100 recent changes (PatrolQueue.fetch_limit)
URL_HOME = "/"
URL_ROWS = "/patrol/rows"
URL_STATS = "/patrol/stats"
URL_FEEDBACK = "/patrol/feedback"
URL_REVIEWER = "/patrol/reviewer"

router = APIRouter(include_in_schema=False)


# -- shared objects ---------------------------------------------------------------------------
class ServiceStarting(WikiscoreError):
    """The service has no scorer (yet): the page says so instead of failing."""

    error_type = "service_unavailable"


@dataclass
class PatrolServices:
    registry: Any
    pool: Any
    scorer: Any
    feedback: FeedbackStore
    queue: PatrolQueue


def _state(request: Request) -> Any:
    return request.app.state.wikiscore


def _trust_forwarded(request: Request) -> bool:
    return bool(getattr(_state(request).settings, "trust_forwarded", False))


def feedback_store(request: Request) -> FeedbackStore:
    state = _state(request)
    if state.store is None:
        raise ServiceStarting("the store is not open yet; try again in a moment")
    store = state.extras.get("patrol_feedback")
    if store is None or store.store is not state.store:
        store = state.extras["patrol_feedback"] = FeedbackStore(state.store)
    return store


def services(request: Request) -> PatrolServices:
    """The patrol page's view of the service state (``app.state.wikiscore``), built once."""
    state = _state(request)
    if state.scorer is None or state.pool is None:
        reason = "; ".join(state.problems) or "the service is starting"
        raise ServiceStarting(f"scoring is not available: {reason}")
    existing = state.extras.get("patrol")
    if existing is not None and existing.scorer is state.scorer:
        return existing
    built = PatrolServices(
        registry=state.registry,
        pool=state.pool,
        scorer=state.scorer,
        feedback=feedback_store(request),
        queue=PatrolQueue(state.pool, state.scorer),
    )
    state.extras["patrol"] = built
    return built


# -- models -----------------------------------------------------------------------------------
def edit_models(svc: PatrolServices, wiki: Any) -> list[Any]:
    """The edit models serving a wiki (registry specs), in the scorer's order."""
    return list(svc.scorer.models_for(wiki, "edit").values())


def user_model_name(svc: PatrolServices, wiki: Any) -> str | None:
    specs = list(svc.scorer.models_for(wiki, "user").values())
    return specs[0].name if specs else None


async def model_levels(
    svc: PatrolServices, wiki: str, model: str
) -> tuple[str | None, dict[str, list[dict[str, Any]]]]:
    """(version, levels by editor group, each sorted by threshold) from the model's metadata.

    Models with group-aware levels (the fairness post-processing of enwiki-editrisk) have one
    list per group (``anonymous``, ``registered``); others a single pooled list ``all``.
    """
    try:
        served = await svc.scorer.served_model(wiki, model, "edit")
    except WikiscoreError:
        return None, {}
    groups = served.artifact.levels_by_group()
    return served.version, {
        group: sorted(levels, key=lambda lv: float(lv["threshold"]))
        for group, levels in groups.items()
    }


# Editor groups a model's levels may be given for (``legend.caption_<group>`` in the catalogue).
LEVEL_GROUPS = ("all", "anonymous", "registered")


def editor_group(groups: dict[str, list[dict[str, Any]]], anon: bool) -> list[dict[str, Any]]:
    """The levels that apply to an editor: their group's, or the pooled ones."""
    return groups.get("anonymous" if anon else "registered") or groups.get("all") or []


def patrol_wikis(svc: PatrolServices) -> list[str]:
    """Local wikis first, then every wiki that has an edit model for its language."""
    wikis = [w for w in svc.registry.values() if edit_models(svc, w)]
    return [w.dbname for w in wikis if w.local] + sorted(w.dbname for w in wikis if not w.local)


# -- rendering --------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        static_url=static_url,
        iso=_iso,
        utc=_utc,
        utc_time=_utc_time,
        percent=_percent,
        fmt_ratio=_ratio,
        level_range=_level_range,
        review_url=review_url,
        url_home=URL_HOME,
        url_stats=URL_STATS,
        url_feedback=URL_FEEDBACK,
        url_reviewer=URL_REVIEWER,
        level_order=LEVEL_ORDER,
        editor_filters=EDITOR_FILTERS,
        namespaces=NAMESPACES,
        shortcuts=SHORTCUTS,
        default_limit=DEFAULT_LIMIT,
        verdicts=VERDICTS,
        flagged_levels=FLAGGED_LEVELS,
    )
    return env


@lru_cache(maxsize=8)
def _static_version(name: str) -> str:
    return hashlib.sha256((WEB_DIR / "static" / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/patrol/static/{name}?v={_static_version(name)}"


def review_url(wiki: str, rev_id: int, model: str | QueueQuery | None = None) -> str:
    name = model.model if isinstance(model, QueueQuery) else model
    suffix = f"?{urlencode({'model': name})}" if name else ""
    return f"/patrol/review/{wiki}/{rev_id}{suffix}"


def _iso(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else ""


def _utc(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def _utc_time(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%H:%M:%S UTC") if ts else ""


def _percent(probability: float | None) -> str:
    return "–" if probability is None else f"{probability * 100:.0f}"


def _ratio(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _threshold(value: Any) -> str:
    """0.016 → "0.016", 0.5 → "0.50": enough digits to tell small thresholds apart."""
    text = f"{float(value or 0):.3f}"
    return text[:-1] if text.endswith("0") else text


def _level_range(level: dict[str, Any]) -> str:
    low, high = level.get("threshold"), level.get("upper")
    if high is None:
        return f"≥ {_threshold(low)}"
    return f"{_threshold(low)}–{_threshold(high)}"


def _ago(t: Messages):
    def ago(ts: datetime | None) -> str:
        if ts is None:
            return ""
        seconds = max(0, int((datetime.now(UTC) - ts).total_seconds()))
        if seconds < 60:
            return t("time.seconds", count=seconds)
        if seconds < 3600:
            return t("time.minutes", count=seconds // 60)
        if seconds < 86400:
            return t("time.hours", count=seconds // 3600)
        if seconds < 30 * 86400:
            return t("time.days", count=seconds // 86400)
        return t("time.date", date=ts.astimezone(UTC).strftime("%Y-%m-%d"))

    return ago


def _fmt_rate(t: Messages):
    def fmt_rate(rate: float | None, decided: int) -> str:
        if rate is None:
            return t("stats.no_decided")
        return t("stats.rate", percent=f"{rate * 100:.0f}", count=decided)

    return fmt_rate


def messages_for(request: Request) -> Messages:
    wanted = request.query_params.get("uselang")
    langs = available_languages()
    if wanted in langs:
        return Messages(wanted)
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()
        if code in langs:
            return Messages(code)
        if code.split("-")[0] in langs:
            return Messages(code.split("-")[0])
    return Messages()


@dataclass
class Viewer:
    """Who is looking: their session, CSRF token, reviewer name and language."""

    session: str
    csrf: str
    reviewer: str
    reviewer_kind: str
    t: Messages


def viewer(request: Request, response: Response) -> Viewer:
    session = security.ensure_session(request, response)
    token_name = _token_reviewer(request)
    if token_name:
        name, kind = token_name, "token"
    else:
        kind = "session"
        try:
            name = clean_reviewer(request.cookies.get(security.REVIEWER_COOKIE, ""))
        except InvalidInput:
            name = security.default_reviewer_name(session)
    return Viewer(session, security.csrf_token(session), name, kind, messages_for(request))


def _token_reviewer(request: Request) -> str | None:
    """The name of the API token (with the write scope) the request carries, if any."""
    header = request.headers.get("authorization")
    if not header:
        return None
    from wikiscore.serve.protection import find_token

    token = find_token(_state(request).settings.tokens, header)
    return token.name if token is not None and token.allows("write") else None


def render(
    request: Request,
    template: str,
    who: Viewer,
    cookie_carrier: Response,
    *,
    status: int = 200,
    page: str = "",
    **context: Any,
) -> HTMLResponse:
    t = who.t
    env = _environment()
    js_messages = {**t.subset("js."), **{k: t.raw(k) for k in _JS_EXTRA_KEYS}}
    html = env.get_template(template).render(
        t=t,
        ago=_ago(t),
        fmt_rate=_fmt_rate(t),
        csrf=who.csrf,
        reviewer=who.reviewer,
        reviewer_kind=who.reviewer_kind,
        page=page,
        current_url=_local_url(request),
        js_messages=js_messages,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    _copy_cookies(cookie_carrier, response)
    return security.add_security_headers(response)


_JS_EXTRA_KEYS = (
    *(f"verdict.{v}" for v in VERDICTS),
    *(f"time.{unit}" for unit in ("seconds", "minutes", "hours", "days", "date")),
)


def _copy_cookies(source: Response, target: Response) -> None:
    for key, value in source.raw_headers:
        if key == b"set-cookie":
            target.raw_headers.append((key, value))


def _local_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _safe_next(value: Any, fallback: str) -> str:
    """Only same-site relative paths are followed after a form post (no open redirect)."""
    text = str(value or "")
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or parts.scheme or parts.netloc:
        return fallback
    return text


def _error_page(
    request: Request, who: Viewer, carrier: Response, status: int, message: str
) -> HTMLResponse:
    return render(request, "error.html", who, carrier, status=status, message=message)


def _error_response(
    request: Request,
    who: Viewer,
    carrier: Response,
    status: int,
    message: str,
    *,
    as_json: bool = False,
) -> Response:
    """The JSON error for scripts and page fragments (``as_json``), else the error page."""
    if as_json:
        return _plain_error(status, message)
    return _error_page(request, who, carrier, status, message)


_Ready = TypeVar("_Ready")


def _ready_or_503(
    get: Callable[[Request], _Ready],
    request: Request,
    who: Viewer,
    carrier: Response,
    *,
    as_json: bool = False,
) -> _Ready | Response:
    """``get(request)`` (:func:`services` or :func:`feedback_store`), or the 503 answer while
    the service is starting; a handler returns the answer as it is::

        svc = _ready_or_503(services, request, who, carrier)
        if isinstance(svc, Response):
            return svc
    """
    try:
        return get(request)
    except ServiceStarting as exc:
        return _error_response(request, who, carrier, 503, exc.message, as_json=as_json)


# -- queue ------------------------------------------------------------------------------------
def parse_query(request: Request, svc: PatrolServices) -> QueueQuery:
    """The reviewer's filters from the URL; InvalidInput / UnknownWiki / UnknownModel if bad."""
    params = request.query_params
    wiki_name = params.get("wiki") or _default_wiki(svc)
    if wiki_name is None:
        raise UnknownWiki("no wiki has an edit model yet: add a wiki whose language has one")
    wiki = svc.registry.get_wiki(wiki_name)
    models = edit_models(svc, wiki)
    if not models:
        raise UnknownModel(f"no edit model serves {wiki.dbname} (content language {wiki.lang})")
    model = params.get("model") or models[0].name
    spec = next((m for m in models if model in (m.name, m.api_name)), None)
    if spec is None:
        names = ", ".join(m.name for m in models)
        raise UnknownModel(f"model {model!r} does not serve {wiki.dbname}; choose one of {names}")
    ns_text = params.get("ns", "all")
    if ns_text in ("all", ""):
        namespace = None
    else:
        try:
            namespace = int(ns_text)
        except ValueError:
            raise InvalidInput(f"ns must be a namespace number or 'all', got {ns_text!r}") from None
        if namespace < 0:
            raise InvalidInput(f"ns must not be negative, got {namespace}")
    level = params.get("level", "likely_good")
    if level not in LEVEL_ORDER:
        raise InvalidInput(f"level must be one of {', '.join(LEVEL_ORDER)}, got {level!r}")
    editors = params.get("editors", "all")
    if editors not in EDITOR_FILTERS:
        raise InvalidInput(f"editors must be one of {', '.join(EDITOR_FILTERS)}, got {editors!r}")
    limit_text = params.get("limit", str(DEFAULT_LIMIT))
    if not (limit_text.isascii() and limit_text.isdigit()) or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit_text!r}"
        )
    return QueueQuery(
        wiki=wiki.dbname,
        model=spec.name,
        namespace=namespace,
        min_level=level,
        editors=editors,  # type: ignore[arg-type]
        limit=int(limit_text),
        user_model=user_model_name(svc, wiki),
    )


def _default_wiki(svc: PatrolServices) -> str | None:
    from wikiscore.config import load_config

    configured = load_config().get("web", {}).get("default_wiki")
    if configured:
        return str(configured)
    wikis = patrol_wikis(svc)
    return wikis[0] if wikis else None


def _refresh_seconds(request: Request) -> int:
    try:
        value = int(request.query_params.get("refresh", DEFAULT_REFRESH_SECONDS))
    except ValueError:
        value = DEFAULT_REFRESH_SECONDS
    return min(600, max(2, value))


def _rows_url(query: QueueQuery) -> str:
    params = {
        "wiki": query.wiki,
        "model": query.model,
        "ns": "all" if query.namespace is None else str(query.namespace),
        "level": query.min_level,
        "editors": query.editors,
        "limit": str(query.limit),
    }
    return f"{URL_ROWS}?{urlencode(params)}"


async def _my_verdicts(
    svc: PatrolServices, query: QueueQuery, rows: list[QueueRow], reviewer: str
) -> dict[int, Feedback]:
    found = await run_in_threadpool(
        svc.feedback.latest_for_revisions,
        query.wiki,
        [r.rev_id for r in rows],
        reviewer=reviewer,
    )
    mine = {}
    for rev, items in found.items():
        same_model = [f for f in items if f.model == query.model]
        if same_model:
            mine[rev] = same_model[-1]
    return mine


def _empty_queue_context(wikis: list[str]) -> dict[str, Any]:
    return {
        "query": None,
        "snapshot": None,
        "wikis": wikis,
        "models": [],
        "level_groups": [],
        "model_version": None,
        "rows_url": "",
        "refresh_seconds": 0,
        "mine": {},
    }


@router.get("/", response_class=HTMLResponse)
async def queue_page(request: Request) -> Response:
    carrier = Response()
    who = viewer(request, carrier)
    svc = _ready_or_503(services, request, who, carrier)
    if isinstance(svc, Response):
        return svc
    wikis = patrol_wikis(svc)
    try:
        query = parse_query(request, svc)
    except (UnknownWiki, UnknownModel) as exc:
        return render(
            request, "queue.html", who, carrier, status=404, page="queue", error=exc.message,
            **_empty_queue_context(wikis),
        )  # fmt: skip
    except InvalidInput as exc:
        return _error_page(request, who, carrier, 400, exc.message)
    version, levels = await model_levels(svc, query.wiki, query.model)
    context: dict[str, Any] = {
        "query": query,
        "wikis": wikis,
        "models": edit_models(svc, svc.registry.get_wiki(query.wiki)),
        "level_groups": [(group, _with_upper_bounds(lvs)) for group, lvs in levels.items()],
        "model_version": version,
        "rows_url": _rows_url(query),
        "refresh_seconds": _refresh_seconds(request),
    }
    try:
        snapshot = await svc.queue.rows(query)
    except WikiscoreError as exc:
        message = who.t("queue.fetch_error", wiki=query.wiki, reason=exc.message)
        return render(
            request, "queue.html", who, carrier, status=502, page="queue", error=message,
            snapshot=None, mine={}, **context,
        )  # fmt: skip
    mine = await _my_verdicts(svc, query, snapshot.rows, who.reviewer)
    return render(
        request, "queue.html", who, carrier, page="queue", error=None, snapshot=snapshot,
        mine=mine, **context,
    )  # fmt: skip


def _with_upper_bounds(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Levels riskiest first, each with its upper bound (the model's, or the next threshold)."""
    out = []
    for i, level in enumerate(levels):
        upper = levels[i + 1]["threshold"] if i + 1 < len(levels) else None
        out.append({**level, "upper": level.get("upper", upper)})
    return list(reversed(out))


@router.get(URL_ROWS, response_class=HTMLResponse)
async def queue_rows(request: Request) -> Response:
    """The queue's rows alone, for the page's script to merge in without a reload."""
    carrier = Response()
    who = viewer(request, carrier)
    svc = _ready_or_503(services, request, who, carrier, as_json=True)
    if isinstance(svc, Response):
        return svc
    try:
        query = parse_query(request, svc)
        snapshot = await svc.queue.rows(query)
    except (UnknownWiki, UnknownModel) as exc:
        return _plain_error(404, exc.message)
    except InvalidInput as exc:
        return _plain_error(400, exc.message)
    except WikiscoreError as exc:
        return _plain_error(502, exc.message)
    mine = await _my_verdicts(svc, query, snapshot.rows, who.reviewer)
    response = render(
        request, "_rows.html", who, carrier, snapshot=snapshot, query=query, mine=mine
    )
    response.headers["Cache-Control"] = "no-store"
    return response


_ERROR_TYPES = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "not_found"}


def _plain_error(status: int, message: str) -> Response:
    """The service's JSON error shape: ``{"error": {"type", "code", "message"}}``."""
    error_type = _ERROR_TYPES.get(status, "upstream_error" if status == 502 else "unavailable")
    body = {"error": {"type": error_type, "code": status, "message": message}}
    response = JSONResponse(body, status_code=status)
    return security.add_security_headers(response)


# -- review -----------------------------------------------------------------------------------
@router.get("/patrol/review/{wiki}/{rev_id}", response_class=HTMLResponse)
async def review(request: Request, wiki: str, rev_id: str) -> Response:
    carrier = Response()
    who = viewer(request, carrier)
    fragment = request.query_params.get("fragment") == "1"
    svc = _ready_or_503(services, request, who, carrier, as_json=fragment)
    if isinstance(svc, Response):
        return svc
    try:
        if not (rev_id.isascii() and rev_id.isdigit()) or not 0 < int(rev_id) < 2**53:
            raise InvalidInput(f"a revision id is a positive whole number, got {rev_id!r}")
        wiki_obj = svc.registry.get_wiki(wiki)
        models = edit_models(svc, wiki_obj)
        if not models:
            raise UnknownModel(f"no edit model serves {wiki}")
        wanted = request.query_params.get("model") or models[0].name
        spec = next((m for m in models if wanted in (m.name, m.api_name)), None)
        if spec is None:
            raise UnknownModel(f"model {wanted!r} does not serve {wiki}")
        context = await _review_context(svc, wiki_obj, int(rev_id), spec.name, who)
    except InvalidInput as exc:
        return _error_response(request, who, carrier, 400, exc.message, as_json=fragment)
    except (UnknownWiki, UnknownModel) as exc:
        return _error_response(request, who, carrier, 404, exc.message, as_json=fragment)
    except WikiscoreError as exc:
        status = 404 if exc.error_type in ("revision_not_found", "revision_deleted") else 502
        return _error_response(request, who, carrier, status, exc.message, as_json=fragment)
    saved = request.query_params.get("saved")
    context["saved"] = saved if saved in VERDICTS else None
    context["review_page_url"] = review_url(wiki, int(rev_id), spec.name)
    context["back_url"] = URL_HOME + "?" + urlencode({"wiki": wiki, "model": spec.name})
    template = "_review.html" if fragment else "review.html"
    response = render(request, template, who, carrier, page="review", **context)
    if fragment:
        response.headers["Cache-Control"] = "no-store"
    return response


async def _review_context(
    svc: PatrolServices, wiki: Any, rev_id: int, model: str, who: Viewer
) -> dict[str, Any]:
    client = svc.pool.client(wiki.dbname)
    revisions = await client.get_revisions([rev_id], user_info=True, lean=True)
    record = revisions.get(rev_id)
    if isinstance(record, WikiscoreError):
        raise record
    if record is None:
        from wikiscore.mediawiki.errors import RevisionNotFound

        raise RevisionNotFound(f"revision {rev_id} was not found on {wiki.dbname}")
    old_size: int | None = 0
    if record.parent_id:
        parents = await client.get_revisions([record.parent_id], lean=True)
        parent = parents.get(record.parent_id)
        old_size = None if isinstance(parent, WikiscoreError) or parent is None else parent.size
    row = QueueRow(
        wiki=wiki.dbname,
        rev_id=rev_id,
        parent_id=record.parent_id or None,
        title=record.page.title,
        namespace=record.page.namespace,
        user=record.user.name or "",
        anon=record.user.anon,
        newcomer=is_newcomer(record.user, datetime.now(UTC)),
        bot=False,
        old_size=old_size,
        new_size=record.size,
        comment=record.comment,
        timestamp=record.timestamp or datetime.now(UTC),
        model=model,
        is_creation=not record.parent_id,
    )
    scores = await svc.scorer.score_revisions(wiki.dbname, [model], [rev_id], explain=True)
    apply_score(row, scores.get(rev_id, {}).get(model))

    diff_html, diff_error, creation_text = "", None, None
    try:
        if record.parent_id:
            compared = await client.compare(record.parent_id, rev_id)
            diff_html = sanitize_diff_html(compared.html)
        else:
            with_text = await client.get_revisions([rev_id], content=True, lean=True)
            created = with_text.get(rev_id)
            if isinstance(created, WikiscoreError):
                raise created
            creation_text = (created.text if created is not None else None) or ""
    except WikiscoreError as exc:
        diff_error = exc.message

    user_model = user_model_name(svc, wiki)
    user_score = None
    if user_model and not row.anon and row.user:
        user_score = await svc.queue.user_score(wiki.dbname, user_model, row.user)
        row.user_score = user_score
    _, levels = await model_levels(svc, wiki.dbname, model)
    editor_levels = editor_group(levels, row.anon)
    level_info = next((lv for lv in editor_levels if lv["name"] == row.level), None)
    feedback = await run_in_threadpool(svc.feedback.latest_for_revisions, wiki.dbname, [rev_id])
    entries = [f for f in feedback.get(rev_id, []) if f.model == model]
    mine = next((f for f in entries if f.reviewer == who.reviewer), None)
    others = [f for f in entries if f.reviewer != who.reviewer]
    return {
        "row": row,
        "diff_url": wiki.diff_url(rev_id),
        "diff_html": diff_html,
        "diff_error": diff_error,
        "creation_text": creation_text,
        "user_model": user_model,
        "user_score": user_score,
        "level_info": level_info,
        "mine": mine,
        "others": others,
        "submission_id": str(uuid.uuid4()),
    }


# -- feedback ---------------------------------------------------------------------------------
def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return "application/json" in accept or content_type.startswith("application/json")


async def _posted_data(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput("request body must be a JSON object")
        return data
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raise InvalidInput("send feedback as a form or as JSON (Content-Type: application/json)")


@router.post(URL_FEEDBACK)
async def post_feedback(request: Request) -> Response:
    """Store one verdict. JSON in → JSON out; a form post redirects back to the review.

    Browsers prove the post comes from our page (session cookie + CSRF token, same origin);
    tools may instead send an API token with the write scope (``Authorization: Bearer``),
    whose name is then stored as the reviewer.
    """
    carrier = Response()
    who = viewer(request, carrier)
    as_json = _wants_json(request)
    if request.headers.get("authorization") and who.reviewer_kind != "token":
        return _error_response(
            request, who, carrier, 401, "the API token is unknown or lacks the write scope",
            as_json=as_json,
        )  # fmt: skip
    store = _ready_or_503(feedback_store, request, who, carrier, as_json=as_json)
    if isinstance(store, Response):
        return store
    try:
        data = await _posted_data(request)
        if who.reviewer_kind != "token":
            security.check_csrf(
                request, data.get(security.CSRF_FIELD), trust_forwarded=_trust_forwarded(request)
            )
        next_url = _safe_next(data.get("next"), URL_HOME)
        fields = {k: v for k, v in data.items() if k not in (security.CSRF_FIELD, "next")}
        submission = parse_submission(fields)
        _state(request).registry.get_wiki(submission.wiki)
        stored, created = await run_in_threadpool(
            store.add, submission, reviewer=who.reviewer, reviewer_kind=who.reviewer_kind
        )
    except security.CsrfError as exc:
        return _error_response(request, who, carrier, 403, str(exc), as_json=as_json)
    except (InvalidInput, UnknownWiki) as exc:
        status = 404 if isinstance(exc, UnknownWiki) else 400
        return _error_response(request, who, carrier, status, exc.message, as_json=as_json)
    if as_json:
        response: Response = JSONResponse(
            {"feedback": stored.to_json(), "created": created}, status_code=201 if created else 200
        )
    else:
        sep = "&" if "?" in next_url else "?"
        response = RedirectResponse(f"{next_url}{sep}saved={stored.verdict}", status_code=303)
    _copy_cookies(carrier, response)
    return security.add_security_headers(response)


@router.post(URL_REVIEWER)
async def set_reviewer(request: Request) -> Response:
    """Choose the name under which this browser's feedback is stored (a cookie)."""
    carrier = Response()
    who = viewer(request, carrier)
    try:
        data = await _posted_data(request)
        security.check_csrf(
            request, data.get(security.CSRF_FIELD), trust_forwarded=_trust_forwarded(request)
        )
        name = clean_reviewer(str(data.get("reviewer", "")))
    except security.CsrfError as exc:
        return _error_page(request, who, carrier, 403, str(exc))
    except InvalidInput as exc:
        return _error_page(request, who, carrier, 400, exc.message)
    response = RedirectResponse(_safe_next(data.get("next"), URL_HOME), status_code=303)
    _copy_cookies(carrier, response)
    response.set_cookie(
        security.REVIEWER_COOKIE,
        name,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=365 * 86400,
    )
    return security.add_security_headers(response)


# -- stats ------------------------------------------------------------------------------------
@router.get(URL_STATS, response_class=HTMLResponse)
async def stats_page(request: Request) -> Response:
    carrier = Response()
    who = viewer(request, carrier)
    store = _ready_or_503(feedback_store, request, who, carrier)
    if isinstance(store, Response):
        return store
    model = request.query_params.get("model") or None
    all_stats = await run_in_threadpool(store.stats)
    model_names = sorted({s.model for s in all_stats})
    shown = [s for s in all_stats if model is None or s.model == model]
    return render(
        request, "stats.html", who, carrier, page="stats", stats=shown, model=model,
        model_names=model_names,
    )  # fmt: skip


# -- static files -----------------------------------------------------------------------------
@router.get("/patrol/static/{name}")
async def static_file(request: Request, name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return _plain_error(404, f"no static file {name!r}")
    body = (WEB_DIR / "static" / name).read_bytes()
    response = Response(body, media_type=media_type)
    if request.query_params.get("v") == _static_version(name):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
