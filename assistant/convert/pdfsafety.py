"""Checks on a PDF before any library decodes it: password, page count, and decompression bombs.

pdfminer (under pdfplumber) inflates a whole content stream in one ``zlib.decompress`` call, so a
1 MB stream that inflates to GBs would take the process's memory. Every Flate stream is inflated
here first, in bounded steps that stop at the limit, without keeping the output.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from pathlib import Path

from .errors import ConversionError

log = logging.getLogger(__name__)

_FLATE = ("/FlateDecode", "/Fl")
_STEP = 1 << 20  # bytes of output per inflate step


def _inflate_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Inflate a stream given in pieces, yielding output pieces of at most _STEP bytes."""
    inflater = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while data and not inflater.eof:
            out = inflater.decompress(data, _STEP)
            if out:
                yield out
            data = inflater.unconsumed_tail
        if inflater.eof:
            return
    while not inflater.eof:
        try:
            out = inflater.decompress(b"", _STEP)
        except zlib.error:
            return
        if not out:
            return
        yield out


def inflated_size(raw: bytes, layers: int, limit: int) -> int:
    """Bytes ``raw`` inflates to through ``layers`` chained Flate filters, counting at most ``limit + 1``.

    A damaged stream counts what inflated before the damage (the PDF readers are lenient too).
    """
    chunks: Iterator[bytes] = iter([raw])
    for _ in range(layers):
        chunks = _inflate_chunks(chunks)
    total = 0
    try:
        for piece in chunks:
            total += len(piece)
            if total > limit:
                return total
    except zlib.error:
        pass
    return total


def _filters(stream) -> list[str]:
    names = stream.get("/Filter")
    if names is None:
        return []
    if isinstance(names, str):
        return [str(names)]
    try:
        return [str(n) for n in names]
    except TypeError:
        return [str(names)]


def _stream_limit(stream, max_unpacked: int, max_pixels: int, name: str) -> int:
    """How far this stream may inflate: images by their declared size, everything else by max_unpacked."""
    if stream.get("/Subtype") != "/Image":
        return max_unpacked
    try:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
    except (TypeError, ValueError):
        return max_unpacked
    if width * height > max_pixels:
        raise ConversionError(
            f"{name}: holds an image of {width * height / 1e6:.0f} megapixels; at most {max_pixels / 1e6:.0f}"
        )
    # 4 components × 16 bits is the most an image can declare; a stream inflating beyond that is a bomb.
    return max(width * height * 8 + 1_000_000, 1_000_000)


def check_streams(reader, name: str, max_unpacked: int, max_pixels: int) -> None:
    """Raise ConversionError when any stream of the PDF inflates beyond its limit.

    Non-image streams together may inflate to at most ``max_unpacked`` bytes (they are what the
    text readers decode whole); each image to what its declared size allows.
    """
    from pypdf.generic import StreamObject

    total = 0
    size = int(reader.trailer.get("/Size", 0) or 0)
    for number in range(1, min(size, 2_000_000)):
        try:
            obj = reader.get_object(number)
        except Exception:  # a damaged object: the readers skip it as well
            continue
        if not isinstance(obj, StreamObject):
            continue
        filters = _filters(obj)
        layers = 0
        while layers < len(filters) and filters[layers] in _FLATE:
            layers += 1
        raw = getattr(obj, "_data", b"") or b""
        limit = _stream_limit(obj, max_unpacked, max_pixels, name)
        grown = inflated_size(raw, layers, limit) if layers else len(raw)
        if grown > limit:
            raise ConversionError(
                f"{name}: a stream of the PDF unpacks to more than {limit / 1e6:,.0f} MB (a decompression bomb?)"
            )
        if obj.get("/Subtype") != "/Image":
            total += grown
            if total > max_unpacked:
                raise ConversionError(f"{name}: the PDF's content unpacks to more than {max_unpacked / 1e6:,.0f} MB")


def open_checked(path: Path, name: str, max_pages: int, max_unpacked: int, max_pixels: int):
    """A pypdf reader of ``path`` after the checks above; raises ConversionError saying what is wrong.

    Encrypted PDFs are opened with the empty password (PDFs that only restrict printing or copying);
    any other password is refused.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises several kinds for unsupported or wrong keys
                opened = 0
            if not opened:
                raise ConversionError(f"{name}: the PDF is password-protected; upload it without a password")
        pages = len(reader.pages)
    except ConversionError:
        raise
    except Exception as err:
        raise ConversionError(f"{name}: not a readable PDF ({type(err).__name__}: {err})") from None
    if pages == 0:
        raise ConversionError(f"{name}: the PDF has no pages")
    if pages > max_pages:
        raise ConversionError(f"{name}: {pages} pages; at most {max_pages}")
    check_streams(reader, name, max_unpacked, max_pixels)
    return reader
