"""``wikiscore revisions`` (fetch revisions from a wiki) and ``wikiscore wiki`` (the local wiki)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

from wikiscore.cli.app import app, fail, print_json_line
from wikiscore.errors import WikiscoreError

# Errors that belong to one revision; anything else means the wiki did not answer properly.
_PER_REVISION_ERRORS = ("revision_not_found", "revision_deleted")
EXIT_WIKI_FAILED = 3

wiki_app = typer.Typer(
    help="A throwaway local MediaWiki (Debian's mediawiki, SQLite, PHP's built-in server on "
    "127.0.0.1) for the demo, tests and benchmarks.",
    no_args_is_help=True,
)
app.add_typer(wiki_app, name="wiki")


@app.command()
def revisions(
    rev_ids: list[int] = typer.Argument(..., metavar="REVID...", help="Revision ids."),
    wiki: str = typer.Option(..., "--wiki", help="Wiki database name, e.g. enwiki or testwiki."),
    content: bool = typer.Option(
        False, "--content", help="Include the text and the parent revision's text."
    ),
    user_info: bool = typer.Option(
        False, "--user-info", help="Include the editor's groups, registration and edit count."
    ),
    timeout: float = typer.Option(10.0, help="Seconds to wait for each answer."),
    retries: int = typer.Option(3, help="Retries after a failed request (with backoff)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the local cache."),
) -> None:
    """Fetch revisions by id: one JSON object per line, in the order given.

    A revision that cannot be had (missing, deleted, suppressed) is a line
    {"rev_id": N, "error": {"type": ..., "message": ...}} and does not change the exit status.
    Exit status: 0 when the wiki answered; 2 for an unknown wiki or bad arguments; 3 when the
    wiki could not be reached or answered badly (the message on stderr says what happened).
    """
    from wikiscore.config import store_path
    from wikiscore.mediawiki.client import MediaWikiClient
    from wikiscore.store import Store
    from wikiscore.wikis import default_registry

    try:
        target = default_registry().get_wiki(wiki)
        store = None if no_cache else Store(store_path())
    except WikiscoreError as exc:
        raise fail(exc.message) from None

    async def fetch() -> dict[int, Any]:
        async with MediaWikiClient(
            target, store=store, timeout=timeout, max_retries=retries
        ) as client:
            return await client.get_revisions(rev_ids, content=content, user_info=user_info)

    try:
        results = asyncio.run(fetch())
    except WikiscoreError as exc:
        raise fail(exc.message, EXIT_WIKI_FAILED) from None
    wiki_failures: list[str] = []
    for rev_id, result in results.items():
        if isinstance(result, WikiscoreError):
            print_json_line({"rev_id": rev_id, "error": result.to_json()})
            if result.error_type not in _PER_REVISION_ERRORS:
                wiki_failures.append(result.message)
        else:
            print_json_line(result.to_json())
    if wiki_failures:
        raise fail(wiki_failures[0], EXIT_WIKI_FAILED)


def _default_dir() -> Path:
    from wikiscore.config import home_dir

    return home_dir() / "localwiki"


@wiki_app.command("start")
def wiki_start(
    directory: Path | None = typer.Option(
        None, "--dir", help="Wiki directory (default: $WIKISCORE_HOME/localwiki)."
    ),
    port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default: previous or free)."),
    dumps: list[Path] = typer.Option(
        [], "--import", help="XML dump (.xml, .xml.bz2, .xml.gz) to import once; repeatable."
    ),
    dbname: str | None = typer.Option(
        None, help="Database name (the wiki's registry name); default: as before, or localwiki."
    ),
    lang: str | None = typer.Option(
        None, help="Content language of a new wiki; default: as before, or en."
    ),
) -> None:
    """Create (first time), import dumps (once each) and serve the local wiki.

    Prints {"api_url": ..., "dbname": ..., ...} and returns; the server keeps running until
    `wikiscore wiki stop`. Use it with WIKISCORE_WIKIS=DBNAME=API_URL.
    """
    from wikiscore.localwiki.server import start_wiki, wiki_status

    directory = directory or _default_dir()
    before = wiki_status(directory)
    dbname = dbname or before["dbname"] or "localwiki"
    lang = lang or before["lang"] or "en"
    try:
        wiki = start_wiki(directory, port=port, dumps=dumps, dbname=dbname, lang=lang)
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    print_json_line(
        {
            "api_url": wiki.api_url,
            "dbname": wiki.dbname,
            "port": wiki.port,
            "directory": str(wiki.directory),
            "admin_user": wiki.admin_user,
            "password": wiki.password,
            "wikis_env": f"{wiki.dbname}={wiki.api_url}@{wiki.lang}",
        }
    )


@wiki_app.command("stop")
def wiki_stop(
    directory: Path | None = typer.Option(
        None, "--dir", help="Wiki directory (default: $WIKISCORE_HOME/localwiki)."
    ),
) -> None:
    """Stop the local wiki's server (the data stays; `start` serves it again)."""
    from wikiscore.localwiki.server import stop_wiki, wiki_status

    directory = directory or _default_dir()
    was_running = wiki_status(directory)["running"]
    stop_wiki(directory)
    print_json_line({"directory": str(directory), "stopped": was_running})


@wiki_app.command("status")
def wiki_status_command(
    directory: Path | None = typer.Option(
        None, "--dir", help="Wiki directory (default: $WIKISCORE_HOME/localwiki)."
    ),
) -> None:
    """Show whether the local wiki is installed and running, and where (JSON)."""
    from wikiscore.localwiki.server import wiki_status

    typer.echo(json.dumps(wiki_status(directory or _default_dir())))
