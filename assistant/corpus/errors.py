"""The corpus stage's error: a file or the manifest cannot be used."""

from __future__ import annotations


class CorpusError(ValueError):
    """A corpus file or the manifest cannot be used; the message says which and why."""
