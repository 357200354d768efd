"""English word lists (data files; see README.md)."""
