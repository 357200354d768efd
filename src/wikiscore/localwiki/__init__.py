"""A throwaway local MediaWiki for the demo and the tests, and the demo edit replayer.

Owns installing nothing (``scripts/install-system.sh`` does that), creating a SQLite-backed
MediaWiki under the data directory, serving it with PHP's built-in server on 127.0.0.1,
importing XML fixtures, and replaying realistic edits through the API. Must not be imported by
the scoring path.
"""
