"""Reading the corpus: plan files plus their metadata (manifest or inferred from the text).

``load_corpus(corpus_dir)`` returns one :class:`Document` per ``*.txt``/``*.md`` file.
Metadata comes from ``corpus/manifest.json`` when the file has an entry; otherwise it is
inferred from the text (see :mod:`assistant.corpus.metadata`) and the inferred fields are
listed in ``Document.inferred`` so the caller can tell the user.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from ..config import DEFAULTS
from ..schema import Document
from .errors import CorpusError
from .metadata import MetadataReader

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CORPUS_SUFFIXES = (".txt", ".md")


def read_text(path: Path, max_chars: int = DEFAULTS.max_plan_chars) -> str:
    """Read a plan file as text: UTF-8 (with or without BOM), else GB18030.

    Raises CorpusError when the bytes are neither, the file holds no text, or it is longer
    than ``max_chars`` characters (chunking time grows with a plan's length).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(4 * max_chars + 1)  # at most 4 bytes a character
    except OSError as err:
        raise CorpusError(f"{path.name}: cannot be read ({err.strerror or err})") from None
    if len(data) > 4 * max_chars:
        raise CorpusError(f"{path.name}: too large for a plan (more than {max_chars:,} characters)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CorpusError(f"{path.name}: not UTF-8 or GB18030 text")
    if "\x00" in text:
        raise CorpusError(f"{path.name}: looks like a binary file, not plain text")
    if not text.strip():
        raise CorpusError(f"{path.name}: the file is empty")
    if len(text) > max_chars:
        raise CorpusError(f"{path.name}: {len(text):,} characters; a plan may have at most {max_chars:,}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_manifest(corpus_dir: Path) -> dict[str, dict]:
    """The manifest's entries by file name; an absent manifest is an empty one."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CorpusError(f"{path}: not valid JSON ({err})") from err
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        raise CorpusError(f'{path}: expected {{"documents": {{"<file name>": {{...}}}}}}')
    return documents


EDITABLE_FIELDS = (
    "title",
    "region",
    "region_parent",
    "level",
    "year",
    "issuer",
    "doc_number",
    "published",
    "region_en",
)
LEVELS = ("national", "ministry", "province", "city", "county")


def update_manifest(corpus_dir: Path, source: str, changes: dict[str, object]) -> dict:
    """Set metadata fields of one plan in ``corpus_dir/manifest.json`` (written atomically).

    ``changes`` maps field names (see EDITABLE_FIELDS) to values; None removes the field,
    so it is inferred from the text again. Raises CorpusError for an unknown file or field
    or an unusable value. Returns the plan's new entry.
    """
    if not (corpus_dir / source).is_file():
        raise CorpusError(f"no plan file {source!r} in {corpus_dir}")
    for key, value in changes.items():
        if key not in EDITABLE_FIELDS:
            raise CorpusError(f"unknown metadata field {key!r}; use one of {', '.join(EDITABLE_FIELDS)}")
        if value is None:
            continue
        if key == "year" and not (isinstance(value, int) and 1949 <= value <= 2100):
            raise CorpusError(f"year must be a year like 2023 (got {value!r})")
        if key == "level" and value not in LEVELS:
            raise CorpusError(f"level must be one of {', '.join(LEVELS)} (got {value!r})")
        if key != "year" and not (isinstance(value, str) and value.strip() and len(value) <= 200):
            raise CorpusError(f"{key} must be a short text (got {value!r})")
    return _write_entry(corpus_dir, source, changes)


# Set by policyqa itself, never through a correction: who added a plan and whether an
# editor has confirmed it (an upload is unconfirmed until then).
PROVENANCE_FIELDS = ("added_by", "added_at", "confirmed", "confirmed_by", "confirmed_at")


def set_provenance(corpus_dir: Path, source: str, **changes: object) -> dict:
    """Record provenance fields (PROVENANCE_FIELDS) of one plan in the manifest."""
    unknown = set(changes) - set(PROVENANCE_FIELDS)
    if unknown:
        raise CorpusError(f"not provenance fields: {', '.join(sorted(unknown))}")
    if not (corpus_dir / source).is_file():
        raise CorpusError(f"no plan file {source!r} in {corpus_dir}")
    return _write_entry(corpus_dir, source, changes)


def _write_entry(corpus_dir: Path, source: str, changes: dict[str, object]) -> dict:
    path = corpus_dir / MANIFEST_NAME
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(data, dict):
        data = {}
    documents = data.setdefault("documents", {})
    entry = dict(documents.get(source) or {})
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    documents[source] = entry
    tmp = path.with_name(f".{MANIFEST_NAME}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return entry


def load_document(
    path: Path,
    entry: dict | None = None,
    reader: MetadataReader | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
) -> Document:
    """Read one plan file and its metadata. Raises CorpusError for unusable files."""
    text = read_text(path, max_chars)
    if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") < 20:
        raise CorpusError(f"{path.name}: no Chinese plan text found")
    doc = (reader or MetadataReader()).read(path, text, entry)
    if doc.inferred:
        log.info("%s: inferred %s", path.name, ", ".join(f"{k}={getattr(doc, k)!r}" for k in doc.inferred))
    return doc


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The plan files of a corpus directory, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in CORPUS_SUFFIXES and p.is_file())


def mark_same_scope(documents: list[Document]) -> None:
    """Give each plan the ids of the other plans that claim its region and year (in place)."""
    claims: dict[tuple[str, int], list[str]] = {}
    for d in documents:
        if d.region and d.year:
            claims.setdefault((d.region, d.year), []).append(d.doc_id)
    for d in documents:
        d.same_scope = [i for i in claims.get((d.region, d.year or 0), []) if i != d.doc_id]


def load_corpus(corpus_dir: Path) -> list[Document]:
    """All plans of ``corpus_dir``; files that cannot be read are skipped with a warning."""
    manifest = load_manifest(corpus_dir)
    reader = MetadataReader()
    documents = []
    for path in corpus_files(corpus_dir):
        try:
            documents.append(load_document(path, manifest.get(path.name), reader))
        except CorpusError as err:
            log.warning("skipped %s", err)
    mark_same_scope(documents)
    return documents
