"""A folder of finished conversions, so re-indexing never converts (or OCRs) the same file twice."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .core import VERSION, convert
from .errors import ConversionError
from .model import Converted
from .options import ConvertOptions

log = logging.getLogger(__name__)


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes, read in 1 MB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ConversionCache:
    """``get``/``put`` conversions keyed by the file's bytes, its format, the converter version and the
    options that change the output. Writes are atomic (temporary file, then rename); an entry that
    cannot be read is logged, removed and treated as missing — never an error."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def key(self, path: Path, name: str | None, options: ConvertOptions) -> str:
        """The cache key of converting ``path`` (as ``name``) with ``options``."""
        suffix = Path(name or Path(path).name).suffix.lower()
        material = json.dumps([file_digest(Path(path)), suffix, VERSION, options.output_key()], sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, path: Path, name: str | None = None, options: ConvertOptions | None = None) -> Converted | None:
        """The cached conversion, or ``None`` (absent, damaged or of another converter version)."""
        entry = self._entry(self.key(path, name, options or ConvertOptions()))
        try:
            data = entry.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("conversion cache entry %s unreadable (%s); converting again", entry, err)
            return None
        try:
            converted = Converted.from_json(data)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            log.warning("conversion cache entry %s damaged (%s); converting again", entry, err)
            entry.unlink(missing_ok=True)
            return None
        return converted if converted.version == VERSION else None

    def put(
        self, path: Path, converted: Converted, name: str | None = None, options: ConvertOptions | None = None
    ) -> None:
        """Store ``converted`` as the conversion of ``path``; a failed write is logged, not raised."""
        entry = self._entry(self.key(path, name, options or ConvertOptions()))
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(prefix=".", suffix=".part", dir=entry.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(converted.to_json())
                os.replace(partial, entry)
            finally:
                Path(partial).unlink(missing_ok=True)
        except OSError as err:
            log.warning("could not write conversion cache entry %s (%s)", entry, err)

    def convert(
        self,
        path: Path,
        name: str | None = None,
        options: ConvertOptions | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        isolated: bool = True,
    ) -> Converted:
        """The cached conversion of ``path``, else a new one (in a child process if ``isolated``), stored."""
        options = options or ConvertOptions()
        cached = self.get(path, name, options)
        if cached is not None:
            return cached
        if isolated:
            from .isolated import convert_isolated

            converted = convert_isolated(path, name, options, progress)
        else:
            converted = convert(path, name, options, progress)
        self.put(path, converted, name, options)
        return converted


__all__ = ["ConversionCache", "ConversionError", "file_digest"]
