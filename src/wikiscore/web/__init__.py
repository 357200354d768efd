"""The patrol page: server-rendered review queue, review view, feedback and stats.

Owns HTML templates, UI text (one catalogue, ready for translation) and the feedback routes.
Calls ``scoring`` like the APIs do; must not compute features or scores itself.
"""
