"""MediaWiki XML dumps: streaming reader and identity-revert labelling.

Owns reading pages-meta-history / pages-articles XML (bz2, gz or plain; export schema 0.10 and
0.11) in constant memory, and labelling revisions reverted by a later identity revert. Must not
make network calls.
"""
