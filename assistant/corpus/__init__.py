"""Stage 1, the corpus: plan files → :class:`~assistant.schema.Document` with metadata.

- ``files``: reading plan files and the manifest (``load_corpus``, ``load_document``)
- ``record``: what is not plan content (web chrome) or is the publisher's record (文号 …)
- ``metadata``: title, region, level, year, issuer, 文号 inferred from the text
- ``regions``: the gazetteer of administrative divisions
- ``originals``: any supported original (PDF, scan, .docx, web page) read as text, cached
- ``ingest``: an uploaded original checked and added to the corpus
"""

from .errors import CorpusError
from .files import (
    CORPUS_SUFFIXES,
    EDITABLE_FIELDS,
    LEVELS,
    MANIFEST_NAME,
    PROVENANCE_FIELDS,
    content_hash,
    corpus_files,
    forget_entry,
    load_corpus,
    load_document,
    load_manifest,
    mark_same_scope,
    read_text,
    set_provenance,
    update_manifest,
)
from .metadata import MetadataReader
from .originals import ORIGINAL_SUFFIXES, PAGED_KINDS, Originals, ReadOriginal
from .record import RECORD_LABELS, Line, is_chrome, is_record_line, record_fields, split_lines

__all__ = [
    "CORPUS_SUFFIXES",
    "EDITABLE_FIELDS",
    "LEVELS",
    "MANIFEST_NAME",
    "ORIGINAL_SUFFIXES",
    "PAGED_KINDS",
    "PROVENANCE_FIELDS",
    "RECORD_LABELS",
    "CorpusError",
    "Line",
    "MetadataReader",
    "Originals",
    "ReadOriginal",
    "content_hash",
    "corpus_files",
    "forget_entry",
    "is_chrome",
    "is_record_line",
    "load_corpus",
    "load_document",
    "load_manifest",
    "mark_same_scope",
    "read_text",
    "record_fields",
    "set_provenance",
    "split_lines",
    "update_manifest",
]
