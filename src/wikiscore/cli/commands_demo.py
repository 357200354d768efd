"""``wikiscore demo start|replay|stop``: the local demo wiki and its replayed edits."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from typing import TYPE_CHECKING

import typer

from wikiscore.cli.app import app, fail, print_json_line

if TYPE_CHECKING:
    from wikiscore.localwiki.demo import DemoWiki, ReplayedEdit

demo_app = typer.Typer(
    name="demo",
    help="A local MediaWiki with 40 real English Wikipedia articles, and realistic edits.",
    no_args_is_help=True,
)
app.add_typer(demo_app, name="demo")


@demo_app.command("start")
def start(
    port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default: the last or a free)."),
) -> None:
    """Start (or reuse) the demo wiki under WIKISCORE_HOME/demo-wiki.

    Prints one JSON object (api_url, dbname, lang, directory, wikis_env). To score it from
    another shell: export WIKISCORE_WIKIS=<wikis_env>. The first start takes a few seconds.
    """
    from wikiscore.localwiki.demo import start_demo

    demo = start_demo(port=port)
    print_json_line(
        {
            "api_url": demo.api_url,
            "index_url": demo.index_url,
            "dbname": demo.dbname,
            "lang": demo.lang,
            "directory": str(demo.directory),
            "wikis_env": demo.wikis_env,
        }
    )
    typer.echo(f"export WIKISCORE_WIKIS='{demo.wikis_env}'", err=True)


@demo_app.command("stop")
def stop() -> None:
    """Stop the demo wiki's server (its pages and edits stay for the next start)."""
    from wikiscore.localwiki.demo import stop_demo

    stop_demo()


@demo_app.command("replay")
def replay(
    wiki: str = typer.Option(
        "demowiki",
        help="The wiki to edit: demowiki (started if needed) or a local wiki in the registry.",
    ),
    edits: int | None = typer.Option(
        None, "--edits", "-n", help="Stop after this many actions (default: until Ctrl-C)."
    ),
    per_minute: float = typer.Option(6.0, help="Edits per minute."),
    seed: int = typer.Option(0, help="Seed: the same seed replays the same sequence of edits."),
) -> None:
    """Replay realistic edits: copyedits, additions, bot edits, vandalism and its reverts.

    Editors: long-standing accounts, brand-new accounts, anonymous IPv4/IPv6 editors, a bot.
    Prints one JSON line per saved edit; a count by kind goes to stderr at the end.
    """
    from wikiscore.localwiki.demo import DEMO_DBNAME, replay_edits, start_demo

    if per_minute <= 0:
        raise fail("--per-minute must be positive")
    if edits is not None and edits < 0:
        raise fail("--edits must not be negative")
    target: str | DemoWiki
    if wiki == DEMO_DBNAME:
        target = start_demo()
    else:
        from wikiscore.wikis import default_registry

        entry = default_registry().get_wiki(wiki)
        if not entry.local:
            raise fail(f"{wiki} is not a local wiki: the replayer only edits local wikis")
        target = entry.api_url
    counts: Counter[str] = Counter()

    def show(edit: ReplayedEdit) -> None:
        data = edit.to_json()
        counts[f"{data['kind']}/{data['editor']}"] += 1
        print_json_line(data)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends an endless replay cleanly
        replay_edits(target, seed=seed, per_minute=per_minute, limit=edits, on_edit=show)
    sys.stderr.write(json.dumps({"edits": sum(counts.values()), "by_kind": counts}) + "\n")
