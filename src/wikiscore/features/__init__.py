"""Features: from records to numbers, as a graph of declared inputs.

Owns the edit features (revscoring-compatible), the user-behaviour features of the vandal early
warning model, the tokenizer and diff they rest on, and the per-language word lists (data files
under ``features/data``). A feature declares the datasources it needs; extraction solves the
graph once per record so shared work (the diff) is done once, and any node can be injected.
Must not fetch anything: records come in complete.

Modules:

* ``edit``: the public edit-feature API (``EDIT_FEATURE_NAMES``, ``edit_feature_values``,
  ``extract_edit_features``, ``edit_facts``) and the graph of edit features.
* ``graph``: ``Node`` and ``Graph`` (plans cached per target/given set).
* ``wordlists``: the language registry over ``data/<lang>/`` (badwords, informals, stopwords).
* ``matching``: regex word lists and revscoring's ``prop_delta`` arithmetic;
  ``regex_dispatch``: the faster, equivalent first-letter form of a word-list regex.
* ``wikitext``: tokenizer, segmenter, paragraph layout, the segment-matching diff, the
  difflib stand-in, word counting, and ``TextPair`` (the work shared by one edit's features).
* ``mutations``: random realistic edits of real text, for parity fuzzing and benchmarks only.
"""
