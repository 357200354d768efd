"""The root Typer app and helpers shared by subcommand modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from wikiscore.config import repo_root as checkout_root

app = typer.Typer(
    name="wikiscore",
    help="Open machine learning for Wikimedia projects: fetch, train, evaluate, audit, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def print_json_line(obj: Any) -> None:
    """One JSON object per line on stdout (machine-readable output of data commands)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error on stderr and return an Exit to raise (never a traceback)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def repo_root() -> Path:
    """The source checkout this package runs from (where default data paths such as
    ``../shared/data`` are resolved), or the working directory when installed elsewhere."""
    return checkout_root() or Path.cwd()
