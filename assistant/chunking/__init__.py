"""Stage 2, chunking: a Document → its Chunks, along the plan's own outline.

- ``outline``: outline markers (一、 / （一） / 1. / (1) / ①), headings, item notes
- ``chunker``: :class:`SectionChunker`, one chunk per section under a size budget
- ``coverage``: :class:`YearCoverage`, the years a document plans, reviews or mentions
"""

from .chunker import CHUNKER_VERSION, RECORD_SECTION, SectionChunker, context_header
from .coverage import YearCoverage
from .outline import ITEM_NOTE, MARKER_FAMILIES, heading_of, item_fields, marker_family, strip_marker

__all__ = [
    "CHUNKER_VERSION",
    "ITEM_NOTE",
    "MARKER_FAMILIES",
    "RECORD_SECTION",
    "SectionChunker",
    "YearCoverage",
    "context_header",
    "heading_of",
    "item_fields",
    "marker_family",
    "strip_marker",
]
