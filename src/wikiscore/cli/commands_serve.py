"""``wikiscore serve`` and ``wikiscore wikis``."""

from __future__ import annotations

import json
import os
import signal
import socket
from typing import Any

import typer

from wikiscore.cli.app import app, fail, print_json_line


@app.command()
def wikis(
    local_only: bool = typer.Option(False, "--local", help="Only wikis added by configuration."),
) -> None:
    """List the registered wikis (one JSON object per line)."""
    from wikiscore.wikis import default_registry

    registry = default_registry()
    for wiki in registry.values():
        if wiki.local or not local_only:
            print_json_line(wiki.to_json())


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    cache: str = typer.Option(
        None,
        "--cache",
        metavar="redis://HOST:PORT/DB",
        help="Redis URL of a score cache shared by several replicas (the local SQLite cache "
        "is always used).",
    ),
    precache: list[str] = typer.Option(
        None,
        "--precache",
        metavar="WIKI",
        help="Follow this wiki's recent changes and score new edits as they are saved "
        "(repeat for several wikis).",
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Start the local demo wiki (dbname demowiki), replay edits into it in the "
        "background and precache them: a live service with recent changes.",
    ),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes (each with its own scoring threads)."
    ),
    threads: int = typer.Option(
        None, min=1, max=64, help="Scoring threads per process (default: config, else 2)."
    ),
    processes: int = typer.Option(
        None,
        min=0,
        max=64,
        help="Score in this many worker processes instead of threads (0: threads).",
    ),
    rate_limit: float = typer.Option(
        None, min=0, help="Requests per second per client (0: no limit; default 20)."
    ),
    log_format: str = typer.Option("json", help="Log format: json or text."),
) -> None:
    """Run the HTTP scoring service: ORES v3 (/v3/scores/) and Lift Wing (/v1/models/) APIs,
    the patrol page (/), metrics (/metrics), health (/healthz, /readyz) and docs (/docs)."""
    import uvicorn

    from wikiscore.serve.app import create_app
    from wikiscore.serve.demo import DemoRunner
    from wikiscore.serve.logs import configure_logging, logging_config
    from wikiscore.serve.settings import check_settings, load_settings
    from wikiscore.store.redis_cache import check_redis_url
    from wikiscore.wikis import default_registry

    if log_format not in ("json", "text"):
        raise fail(f"--log-format must be json or text, got {log_format!r}")
    if cache:
        check_redis_url(cache)
    _check_port_free(host, port)
    json_logs = log_format == "json"
    configure_logging(json_logs)

    runner = DemoRunner() if demo else None
    if runner is not None:
        # Registers the demo wiki in this process's WIKISCORE_WIKIS (workers inherit it).
        runner.start_wiki()

    overrides = {
        "cache_url": cache or None,
        "precache": tuple(dict.fromkeys([*(precache or []), *([runner.dbname] if runner else [])]))
        or None,
        "workers": threads,
        "processes": processes,
        "rate_limit": rate_limit,
        "json_logs": json_logs,
    }
    settings = load_settings().with_overrides(**overrides)
    check_settings(settings)
    registry = default_registry()
    for wiki in settings.precache:
        registry.get_wiki(wiki)  # unknown wiki: clear error now, not in the background

    if runner is not None:
        runner.start_replay()
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and
    # re-raises the signal: ours turns it into an exception so the demo wiki is stopped too.
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in _SIGNALS}
    try:
        config_args: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_config": logging_config(json_logs),
            "access_log": False,
            "timeout_graceful_shutdown": 10,
            "proxy_headers": False,
        }
        if workers > 1:
            os.environ["WIKISCORE_SERVE_OVERRIDES"] = json.dumps(
                {k: v for k, v in overrides.items() if v is not None}
            )
            uvicorn.run(
                "wikiscore.serve.app:app_from_env", factory=True, workers=workers, **config_args
            )
        else:
            uvicorn.run(create_app(registry, settings=settings), **config_args)
    except _Terminated:
        pass  # a clean stop asked for by a signal
    finally:
        if runner is not None:
            runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _Terminated(Exception):
    """SIGTERM or SIGINT arrived (after uvicorn finished its graceful shutdown)."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise _Terminated(signum)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise fail(
                f"cannot listen on {host}:{port} ({exc.strerror}); is another server running? "
                "Choose another port with --port"
            ) from None
