"""``wikiscore score-user``: vandal early warning for accounts on a wiki, one JSON line each.

Reads each account's first edits through ``MediaWikiClient.user_contributions`` (serially, one
wiki at a time) and scores them with ``wikiscore.scoring.user.score_user_edits``. An account that
cannot be scored (unknown, no edits) is an error line and the others go on; the exit status is 1
when any account failed, 3 when the wiki could not be reached.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from wikiscore.cli.app import app, fail, print_json_line
from wikiscore.errors import WikiscoreError

EXIT_SOME_FAILED = 1
EXIT_WIKI_FAILED = 3
# Failures of one account; any other error means the wiki itself did not answer properly.
_PER_USER_ERRORS = ("user_not_found", "invalid_input")


@app.command("score-user")
def score_user(
    usernames: list[str] = typer.Argument(..., metavar="USERNAME...", help="Account names."),
    wiki: str = typer.Option(..., "--wiki", help="Wiki database name, e.g. enwiki or testwiki."),
    model: str = typer.Option(
        "user-warning", "--model", help="User model (registry name or API name)."
    ),
    model_dir: Path | None = typer.Option(
        None, "--model-dir", help="Artifact directory (default: the committed artifact)."
    ),
    limit: int = typer.Option(
        50, "--limit", min=1, max=500, help="Score at most this many of the first edits."
    ),
    no_reasons: bool = typer.Option(False, "--no-reasons", help="Leave out the reasons."),
    timeout: float = typer.Option(10.0, help="Seconds to wait for each answer."),
) -> None:
    """Is this account a vandal? Scores accounts from their first edits (oldest first).

    Each line: {"username", "model", "version", "probability", "prediction", "level",
    "edits_considered", "reasons"}; levels are likely_benign < watch < likely_vandal <
    very_likely_vandal. An account that cannot be scored is {"username": ..., "error":
    {"type": ..., "message": ...}}. The model looks only at the account's own edits (pages,
    namespaces, timing, titles, username), never at reverts or other tools.
    """
    from wikiscore.config import store_path
    from wikiscore.mediawiki.client import MediaWikiClient
    from wikiscore.store import Store
    from wikiscore.wikis import default_registry

    try:
        target = default_registry().get_wiki(wiki)
        artifact = _user_model(model, model_dir)
        store = Store(store_path())
    except WikiscoreError as exc:
        raise fail(exc.message) from None

    async def run() -> list[dict[str, Any]]:
        lines = []
        async with MediaWikiClient(target, store=store, timeout=timeout) as client:
            for name in usernames:
                lines.append(await _score_one(client, name, artifact, limit, not no_reasons))
        return lines

    try:
        lines = asyncio.run(run())
    except WikiscoreError as exc:
        raise fail(exc.message, EXIT_WIKI_FAILED) from None
    wiki_failure = None
    for line in lines:
        print_json_line(line)
        error = line.get("error")
        if error and error["type"] not in _PER_USER_ERRORS and wiki_failure is None:
            wiki_failure = error["message"]
    if wiki_failure:
        raise fail(wiki_failure, EXIT_WIKI_FAILED)
    failed = [line["username"] for line in lines if "error" in line]
    if failed:
        typer.echo(
            f"error: {len(failed)} account(s) could not be scored: {', '.join(failed[:10])}",
            err=True,
        )
        raise typer.Exit(EXIT_SOME_FAILED)


def _user_model(model: str, model_dir: Path | None) -> Any:
    from wikiscore.errors import InvalidInput
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.models.registry import load_model

    artifact = ModelArtifact.load(model_dir) if model_dir else load_model(model)
    if artifact.metadata.get("kind") != "user":
        raise InvalidInput(f"model {artifact.name} scores edits, not users (try user-warning)")
    return artifact


async def _score_one(
    client: Any, name: str, artifact: Any, limit: int, reasons: bool
) -> dict[str, Any]:
    from wikiscore.mediawiki.errors import UserNotFound
    from wikiscore.scoring.user import score_user_edits

    username = name.strip().replace("_", " ")
    try:
        if not username:
            raise UserNotFound("an empty user name")
        edits = await client.user_contributions(username, limit=limit)
        if not edits:
            # No contributions: tell an unknown account from an account that never edited.
            found = (await client.get_users([username])).get(username)
            if isinstance(found, WikiscoreError):
                raise found
        score = await asyncio.to_thread(
            score_user_edits, username, edits, artifact, explain=reasons
        )
    except WikiscoreError as exc:
        return {"username": username, "error": exc.to_json()}
    return score.to_json()
