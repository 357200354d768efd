"""Wikitext as revscoring's edit features see it: tokens, sentences, paragraphs and the diff.

Owns the tokenizer (``tokenizer``), the segmenter (``segmenter``), the paragraph layout found
from the characters (``layout``), the segment-matching diff (``diff``) with its difflib stand-in
(``matcher``), word counting without full tokenization (``words``), and ``TextPair`` (``pair``),
the per-edit bundle of shared work. Must not know about records, users or word lists beyond
what is passed in.
"""
