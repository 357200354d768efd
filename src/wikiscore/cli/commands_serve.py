"""``wikiscore serve`` and ``wikiscore wikis``."""

from __future__ import annotations

import typer

from wikiscore.cli.app import app, print_json_line


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
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Run the HTTP service (health and wiki information; scoring APIs as models are added)."""
    import uvicorn

    from wikiscore.serve.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
