"""Reading the corpus: plan files plus their metadata (manifest or inferred from the text).

``load_corpus(corpus_dir)`` returns one :class:`Document` per original in the folder: plain text
(``.txt``/``.md``) as it is, PDFs, scans, ``.docx`` and saved web pages through the converter
(:mod:`assistant.corpus.originals`).
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
from .originals import ORIGINAL_SUFFIXES, Originals

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
CORPUS_SUFFIXES = ORIGINAL_SUFFIXES


def read_text(path: Path, max_chars: int = DEFAULTS.max_plan_chars) -> str:
    """The text of a plain-text plan file (UTF-8 with or without BOM, else GB18030; ``\n`` line ends).

    Raises CorpusError when the bytes are neither, the file holds no text, or it is longer than
    ``max_chars`` characters. The decoding is the converter's (one reader of text files).
    """
    from ..convert import ConvertOptions

    return Originals(None, ConvertOptions(max_chars=max_chars)).read(path, Path(path).name).text


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


def forget_entry(corpus_dir: Path, source: str) -> None:
    """Remove a plan's manifest entry (an upload rolled back, a plan removed for good)."""
    path = corpus_dir / MANIFEST_NAME
    data = _read_manifest_data(path)
    if source in data.get("documents", {}):
        del data["documents"][source]
        _write_manifest_data(path, data)


def _read_manifest_data(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if not isinstance(data, dict):
        data = {}
    if not isinstance(data.get("documents"), dict):
        data["documents"] = {}
    return data


def _write_manifest_data(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{MANIFEST_NAME}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _write_entry(corpus_dir: Path, source: str, changes: dict[str, object]) -> dict:
    path = corpus_dir / MANIFEST_NAME
    data = _read_manifest_data(path)
    documents = data["documents"]
    entry = dict(documents.get(source) or {})
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    documents[source] = entry
    _write_manifest_data(path, data)
    return entry


def load_document(
    path: Path,
    entry: dict | None = None,
    reader: MetadataReader | None = None,
    max_chars: int = DEFAULTS.max_plan_chars,
    originals: Originals | None = None,
) -> Document:
    """Read one original (any supported format) and its metadata. Raises CorpusError for unusable files.

    ``originals`` converts non-text formats (default: no cache, a child process per file).
    """
    if originals is None:
        from ..convert import ConvertOptions

        originals = Originals(None, ConvertOptions(max_chars=max_chars))
    read = originals.read(path)
    text = read.text
    if sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") < 20:
        raise CorpusError(f"{path.name}: no Chinese plan text found")
    doc = (reader or MetadataReader()).read(path, text, entry)
    doc.kind, doc.pages = read.kind, read.pages
    for warning in read.warnings:
        log.info("%s: %s", path.name, warning)
    if doc.inferred:
        log.info("%s: inferred %s", path.name, ", ".join(f"{k}={getattr(doc, k)!r}" for k in doc.inferred))
    return doc


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The plan files of a corpus directory, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory not found: {corpus_dir}")
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.suffix.lower() in CORPUS_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def mark_same_scope(documents: list[Document]) -> None:
    """Give each plan the ids of the other plans that claim its region and year (in place)."""
    claims: dict[tuple[str, int], list[str]] = {}
    for d in documents:
        if d.region and d.year:
            claims.setdefault((d.region, d.year), []).append(d.doc_id)
    for d in documents:
        d.same_scope = [i for i in claims.get((d.region, d.year or 0), []) if i != d.doc_id]


def load_corpus(corpus_dir: Path, originals: Originals | None = None) -> list[Document]:
    """All plans of ``corpus_dir``; files that cannot be read are skipped with a warning."""
    manifest = load_manifest(corpus_dir)
    reader = MetadataReader()
    documents = []
    for path in corpus_files(corpus_dir):
        try:
            documents.append(load_document(path, manifest.get(path.name), reader, originals=originals))
        except CorpusError as err:
            log.warning("skipped %s", err)
    mark_same_scope(documents)
    return documents
