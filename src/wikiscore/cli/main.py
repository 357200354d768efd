"""Entry point: imports every subcommand module (each registers on ``app``) and runs it."""

from __future__ import annotations

import sys

from wikiscore.cli import app as _app_module
from wikiscore.cli import commands_serve  # noqa: F401  (registers commands)
from wikiscore.errors import WikiscoreError

app = _app_module.app


def main() -> None:
    try:
        app()
    except WikiscoreError as exc:
        # Known errors end with a message, not a traceback.
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
