"""wikiscore: open machine learning for Wikimedia projects.

Data flows one way: fetch (``mediawiki``, ``dumps``) → records (``records``) → features
(``features``) → model (``models``) → score (``scoring``) → response (``serve``, ``web``, ``cli``).
Each subpackage's docstring says what it owns and what it must not touch.
"""

__version__ = "0.1.0"
