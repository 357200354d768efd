"""Per-language word lists (data files), read by ``wikiscore.features.wordlists``."""
