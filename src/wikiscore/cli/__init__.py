"""The ``wikiscore`` command: one Typer app, a module of subcommands per job.

Owns argument parsing, progress display and exit codes only; every command calls into the
package that owns the job (``mediawiki``, ``dumps``, ``training``, ``scoring``, ``serve`` …).
Must not hold business logic of its own.
"""
