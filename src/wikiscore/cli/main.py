"""Entry point: imports every subcommand module (each registers on ``app``) and runs it."""

from __future__ import annotations

import sys

from wikiscore.cli import (  # noqa: F401  (each module registers its commands on ``app``)
    commands_audit,
    commands_data,
    commands_demo,
    commands_dumps,
    commands_feedback,
    commands_models,
    commands_serve,
    commands_users,
)
from wikiscore.cli.app import app
from wikiscore.errors import WikiscoreError


def main() -> None:
    try:
        app()
    except WikiscoreError as exc:
        # Known errors end with a message, not a traceback.
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
