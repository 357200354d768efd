"""``wikiscore train``, ``evaluate``, ``score-file`` and ``score``: models from the command line.

``train`` and ``evaluate`` dispatch by model name through ``wikiscore.training.registry`` (any
registered job); ``score-file`` scores JSON-lines revision records offline and ``score`` fetches
revisions from a wiki first. Errors end with a message on stderr and a non-zero exit, never a
traceback; in ``score-file``/``score`` a bad record is an error line and the rest go on.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from wikiscore.cli.app import app, fail, print_json_line, repo_root
from wikiscore.errors import WikiscoreError

_SCORE_FILE_BATCH = 64


def _default_data(relative: str) -> Path:
    """A job's default data path, resolved against the repository root (then the cwd)."""
    candidate = (repo_root() / relative).resolve()
    return candidate if candidate.exists() else (Path.cwd() / relative).resolve()


def _job(name: str) -> Any:
    from wikiscore.training.registry import get_job

    try:
        return get_job(name)
    except WikiscoreError as exc:
        raise fail(exc.message) from None


@app.command()
def train(
    name: str = typer.Argument(..., help="Model to train, e.g. enwiki-editrisk."),
    data: Path | None = typer.Option(
        None, "--data", help="Training file (default: the job's file under ../shared/data)."
    ),
    out: Path = typer.Option(..., "--out", help="Directory to write the artifact into."),
    time_budget: float | None = typer.Option(
        None, "--time-budget", help="Seconds for model selection (default: the job's)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (folds, search, LightGBM)."),
    check_data: Path | None = typer.Option(
        None, "--check-data", help="Also record a checksum of predictions on this file."
    ),
) -> None:
    """Train a model with cross-validated selection and calibration; print a JSON summary."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    job = _job(name)
    path = data if data is not None else _default_data(job.default_data)
    options = {"time_budget": time_budget, "seed": seed, "check_data": check_data}
    try:
        summary = job.train(path, out, options)
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")


@app.command()
def evaluate(
    name: str = typer.Argument(..., help="Model to evaluate, e.g. enwiki-editrisk."),
    data: Path = typer.Option(..., "--data", help="File in the model's training format."),
    model_dir: Path | None = typer.Option(
        None, "--model-dir", help="Artifact directory (default: the committed artifact)."
    ),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="Write rev_id<TAB>probability per line to this file."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write plots and a Markdown/HTML report into this directory."
    ),
    query: list[str] = typer.Option(
        [],
        "--query",
        help="Threshold query, e.g. 'maximum recall @ precision >= 0.9' "
        "(repeatable; default: a standard set).",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the 95% CIs."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
) -> None:
    """Evaluate a model on a labelled file: metrics with CIs, thresholds, slices (JSON)."""
    job = _job(name)
    options: dict[str, Any] = {"n_boot": n_boot, "seed": seed}
    if query:
        options["queries"] = list(query)
    try:
        result = job.evaluate(data, model_dir, predictions, report, options)
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


def _load_artifact(model: str, model_dir: Path | None) -> Any:
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.models.registry import load_model

    try:
        return ModelArtifact.load(model_dir) if model_dir else load_model(model)
    except WikiscoreError as exc:
        raise fail(exc.message) from None


def _score_json(score: Any, *, explain: bool, top: int = 3) -> dict[str, Any]:
    from wikiscore.scoring.result import score_to_json

    doc = score_to_json(score)
    if not explain:
        doc.pop("reasons", None)
        if doc.get("contributions"):
            doc["contributions"] = doc["contributions"][:top]
    return doc


@app.command("score-file")
def score_file(
    model: str = typer.Option("enwiki-editrisk", "--model", help="Edit model to use."),
    input: Path = typer.Option(..., "--input", help="JSON lines of revision records ('-': stdin)."),
    features: bool = typer.Option(False, "--features", help="Include feature values."),
    explain: bool = typer.Option(
        False, "--explain", help="All feature contributions and reasons in plain words."
    ),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Artifact directory."),
) -> None:
    """Score revision records (the wikiscore.records JSON schema), one JSON line each.

    Each output line has rev_id, probability, prediction, level, model, version and the top
    feature contributions; a bad record gives {"line": n, "rev_id": ..., "error": {...}}.
    """
    from wikiscore.records import revision_from_json
    from wikiscore.scoring.edit import score_edit_records

    artifact = _load_artifact(model, model_dir)
    try:
        stream = sys.stdin if str(input) == "-" else input.open(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {input}: {exc.strerror or exc}") from None

    pending: list[tuple[int, Any]] = []
    failures: list[int] = []

    def flush() -> None:
        if not pending:
            return
        scores = score_edit_records(
            [record for _, record in pending], artifact, features=features, explain=True
        )
        for (lineno, record), score in zip(pending, scores, strict=True):
            if isinstance(score, WikiscoreError):
                failures.append(lineno)
                print_json_line({"line": lineno, "rev_id": record.rev_id, "error": score.to_json()})
            else:
                print_json_line({"line": lineno, **_score_json(score, explain=explain)})
        pending.clear()

    with stream:
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            rev_id = None
            try:
                doc = json.loads(line)
                rev_id = doc.get("rev_id") if isinstance(doc, dict) else None
                pending.append((lineno, revision_from_json(doc)))
            except json.JSONDecodeError as exc:
                failures.append(lineno)
                error = {"type": "invalid_input", "message": f"not valid JSON: {exc.msg}"}
                print_json_line({"line": lineno, "rev_id": None, "error": error})
            except WikiscoreError as exc:
                failures.append(lineno)
                print_json_line({"line": lineno, "rev_id": rev_id, "error": exc.to_json()})
            if len(pending) >= _SCORE_FILE_BATCH:
                flush()
        flush()
    if failures:
        typer.echo(
            f"error: {len(failures)} record(s) could not be scored (lines "
            f"{', '.join(map(str, failures[:10]))}{', …' if len(failures) > 10 else ''})",
            err=True,
        )
        raise typer.Exit(1)


@app.command()
def score(
    rev_ids: list[int] = typer.Argument(..., help="Revision ids to fetch and score."),
    wiki: str = typer.Option(..., "--wiki", help="Wiki database name, e.g. enwiki."),
    model: str = typer.Option("enwiki-editrisk", "--model", help="Edit model to use."),
    features: bool = typer.Option(False, "--features", help="Include feature values."),
    explain: bool = typer.Option(
        False, "--explain", help="All feature contributions and reasons in plain words."
    ),
) -> None:
    """Fetch revisions from a wiki and score them, one JSON line per revision."""
    import asyncio

    from wikiscore.scoring.edit import score_edit_records
    from wikiscore.wikis import default_registry

    try:
        wiki_obj = default_registry().get_wiki(wiki)
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    artifact = _load_artifact(model, None)

    async def fetch() -> dict[int, Any]:
        from wikiscore.mediawiki.client import MediaWikiClient

        async with MediaWikiClient(wiki_obj) as client:
            return await client.get_revisions(rev_ids, content=True, user_info=True, lean=True)

    try:
        fetched = asyncio.run(fetch())
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    ok = [
        (r, fetched[r])
        for r in rev_ids
        if not isinstance(fetched.get(r), WikiscoreError) and fetched.get(r) is not None
    ]
    scores = dict(
        zip(
            [r for r, _ in ok],
            score_edit_records([rec for _, rec in ok], artifact, features=features, explain=True),
            strict=True,
        )
    )
    failed = []
    for rev_id in rev_ids:
        outcome = scores.get(rev_id, fetched.get(rev_id))
        if outcome is None:
            outcome = WikiscoreError(f"revision {rev_id} was not returned by {wiki}")
        if isinstance(outcome, WikiscoreError):
            failed.append(rev_id)
            print_json_line({"rev_id": rev_id, "error": outcome.to_json()})
        else:
            print_json_line(_score_json(outcome, explain=explain))
    if failed:
        typer.echo(f"error: {len(failed)} revision(s) could not be scored", err=True)
        raise typer.Exit(1)
