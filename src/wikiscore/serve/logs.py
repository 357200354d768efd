"""Structured logs: one JSON object per line on stderr (uvicorn's own loggers included).

Records may carry ``extra={"fields": {...}}``; those keys are merged into the JSON object. A
traceback, when there is one, goes into the ``exc`` key of the log line — never into a response.
"""

from __future__ import annotations

import json
import logging
import logging.config
import time
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if "event" not in doc:
            doc["message"] = record.getMessage()
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines: time, level, logger, message, then the structured fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            extra = " ".join(f"{k}={v}" for k, v in fields.items() if k != "event")
            line = f"{line} {extra}" if extra else line
        return line


def logging_config(json_logs: bool = True, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service, also passed to uvicorn."""
    formatter: dict[str, Any] = {
        "()": "wikiscore.serve.logs.JsonFormatter"
        if json_logs
        else "wikiscore.serve.logs.TextFormatter"
    }
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "wikiscore": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Our access log replaces uvicorn's (it has the route, latency and request id).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure_logging(json_logs: bool = True, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(json_logs, level))
