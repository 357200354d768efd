"""Error responses: one JSON shape for every failure, and the HTTP status for each error type.

Every error body is ``{"error": {"type": ..., "code": ..., "message": ...}}`` — ``type`` is
wikiscore's stable snake_case name, ``code`` ORES's human code ("bad request", "not found").
Handlers here turn validation errors into 400s that say which parameter was wrong, and make
sure an unexpected exception is logged with its traceback but answered without one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from wikiscore.errors import WikiscoreError

logger = logging.getLogger("wikiscore.serve")

STATUS_CODES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "request too large",
    414: "uri too long",
    415: "unsupported media type",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}

# Status for an error that stands for a whole (single-item) request.
STATUS_BY_TYPE = {
    "invalid_input": 400,
    "unknown_wiki": 404,
    "unknown_model": 404,
    "revision_not_found": 404,
    "user_not_found": 404,
    "revision_deleted": 404,
    "model_unavailable": 503,
    "rate_limited": 503,
    "maxlag": 503,
    "upstream_timeout": 504,
    "wiki_unreachable": 502,
    "malformed_response": 502,
    "api_error": 502,
    "mediawiki_error": 502,
    "upstream_error": 502,
    "login_failed": 502,
    "page_not_found": 404,
    "config_error": 500,
    # An unexpected failure in the CPU step (logged): honest about being ours.
    "scoring_failed": 500,
}


class ApiError(Exception):
    """Raised by route code to answer with an error document and status."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def from_error(cls, exc: WikiscoreError, status: int | None = None) -> ApiError:
        return cls(status or STATUS_BY_TYPE.get(exc.error_type, 400), exc.error_type, exc.message)


def error_doc(status: int, error_type: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "type": error_type,
            "code": STATUS_CODES.get(status, "error"),
            "message": message,
        }
    }


def json_response(
    doc: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Compact JSON without FastAPI's encoder pass (response documents are plain JSON already)."""
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Response(
        body.encode(), status, headers=dict(headers or {}), media_type="application/json"
    )


def error_response(
    status: int, error_type: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(error_doc(status, error_type, message), status, headers)


def describe_validation_error(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ())]
        where = ""
        if loc and loc[0] in ("query", "path", "body", "header"):
            name = ".".join(loc[1:])
            where = f"{loc[0]} parameter {name!r}: " if name else f"{loc[0]}: "
        parts.append(where + str(err.get("msg", "invalid value")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.error_type, exc.message, exc.headers)

    @app.exception_handler(WikiscoreError)
    async def _wikiscore_error(_request: Request, exc: WikiscoreError) -> Response:
        status = STATUS_BY_TYPE.get(exc.error_type, 400)
        return error_response(status, exc.error_type, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "invalid_input", describe_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        if isinstance(exc.detail, Mapping) and "message" in exc.detail:
            error_type = str(exc.detail.get("type", "error"))
            message = str(exc.detail["message"])
        elif status == 404:
            error_type, message = "not_found", f"nothing at {request.url.path}; see /docs"
        elif status == 405:
            error_type = "method_not_allowed"
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            error_type = STATUS_CODES.get(status, "error").replace(" ", "_")
            message = str(exc.detail)
        return error_response(status, error_type, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception(
            "unhandled_error",
            extra={"fields": {"event": "unhandled_error", "path": request.url.path}},
        )
        return error_response(500, "internal_error", "unexpected server error (logged)")
