"""Models: the artifact format, the registry of available models, prediction and contributions.

Owns loading a model file in its library's own text format plus JSON metadata (checked by
sha256), predicting probabilities, per-feature contributions and their plain-language
explanations, and the threshold tables that map scores to levels. Must not fetch data or know
about HTTP.
"""
