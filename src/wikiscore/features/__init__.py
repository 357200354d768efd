"""Features: from records to numbers, as a graph of declared inputs.

Owns the edit features (revscoring-compatible), the user-behaviour features of the vandal early
warning model, the tokenizer and diff they rest on, and the per-language word lists (data files
under ``features/data``). A feature declares the datasources it needs; extraction solves the
graph once per record so shared work (the diff) is done once, and any node can be injected.
Must not fetch anything: records come in complete.
"""
