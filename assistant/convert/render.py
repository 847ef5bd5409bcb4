"""Page images: a PDF page or an image file's frame as a picture, optionally with line boxes drawn.

PDFium is not thread-safe, so every call into it here holds one process-wide lock.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ConversionError
from .model import BBox

PDFIUM_LOCK = threading.RLock()
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_DEFAULT_IMAGE_DPI = 150  # an image without a resolution tag is taken as a 150-dpi scan


@contextmanager
def open_pdfium(path: Path, name: str) -> Iterator:
    """A pypdfium2 document (empty password tried), closed afterwards; ConversionError if it cannot open."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path), password="")
        except pdfium.PdfiumError as err:
            raise ConversionError(f"{name}: PDFium cannot open the PDF ({err})") from None
    try:
        yield document
    finally:
        with PDFIUM_LOCK:
            document.close()


def dpi_within(width_pt: float, height_pt: float, dpi: float, max_pixels: int) -> float:
    """``dpi``, lowered so that a page of this size in points renders to at most ``max_pixels``."""
    pixels = (width_pt * dpi / 72) * (height_pt * dpi / 72)
    return dpi if pixels <= max_pixels else dpi * (max_pixels / pixels) ** 0.5


def render_pdf_page(document, index: int, dpi: float, max_pixels: int = 40_000_000, grey: bool = False):
    """Page ``index`` (0-based) of an open pypdfium2 document as a PIL image, its /Rotate applied."""
    with PDFIUM_LOCK:
        page = document[index]
        try:
            width, height = page.get_size()
            scale = dpi_within(width, height, dpi, max_pixels) / 72
            bitmap = page.render(scale=scale, grayscale=grey)
            image = bitmap.to_pil()
            image.load()
        finally:
            page.close()
    return image


def open_image(path: Path, name: str, max_pixels: int):
    """A PIL image opened lazily after its header said it is at most ``max_pixels`` (no pixels decoded yet).

    Pillow's own decompression-bomb check is turned into an error as well.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ConversionError(f"{name}: the image has more than {max_pixels / 1e6:.0f} megapixels (refused)") from None
    except (UnidentifiedImageError, OSError) as err:
        raise ConversionError(f"{name}: not a readable image ({type(err).__name__})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ConversionError(
            f"{name}: the image is {width}×{height} = {width * height / 1e6:.0f} megapixels; "
            f"at most {max_pixels / 1e6:.0f}"
        )
    return image


def image_dpi(image) -> float:
    """The resolution an image says it was scanned at, else 150 dpi."""
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 50 <= value <= 1200 else _DEFAULT_IMAGE_DPI


def image_frame(image, index: int, max_pixels: int):
    """Frame ``index`` of a (multi-page TIFF) image, decoded, EXIF-upright, RGB; checks its size."""
    from PIL import ImageOps

    image.seek(index)
    width, height = image.size
    if width * height > max_pixels:
        raise ConversionError(f"page {index + 1} of the image is {width * height / 1e6:.0f} megapixels")
    frame = ImageOps.exif_transpose(image.copy())
    return frame.convert("RGB")


def render_page(path: Path, page: int, dpi: float = 100, name: str | None = None, max_pixels: int = 40_000_000):
    """Page ``page`` (1-based) of a PDF or image file as a PIL image at ``dpi``.

    Raises ConversionError for a page that does not exist or a file that cannot be read.
    """
    path = Path(path)
    name = name or path.name
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        with open_pdfium(path, name) as document:
            if not 1 <= page <= len(document):
                raise ConversionError(f"{name}: no page {page} (the PDF has {len(document)})")
            return render_pdf_page(document, page - 1, dpi, max_pixels)
    if suffix in IMAGE_SUFFIXES:
        image = open_image(path, name, max_pixels)
        frames = getattr(image, "n_frames", 1)
        if not 1 <= page <= frames:
            raise ConversionError(f"{name}: no page {page} (the image has {frames})")
        frame = image_frame(image, page - 1, max_pixels)
        factor = dpi / image_dpi(image)
        if abs(factor - 1) > 0.01:
            frame = frame.resize((max(1, round(frame.width * factor)), max(1, round(frame.height * factor))))
        return frame
    raise ConversionError(f"{name}: only PDF and image pages can be shown")


def boxed_page_png(path: Path, page: int, boxes: Iterable[BBox], dpi: float = 100, name: str | None = None) -> bytes:
    """PNG bytes of ``render_page`` with each box (PDF points, e.g. ``LineBox.bbox``) outlined in red."""
    from PIL import ImageDraw

    image = render_page(path, page, dpi, name).convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = dpi / 72
    for x0, top, x1, bottom in boxes:
        draw.rectangle(
            (x0 * scale - 2, top * scale - 2, x1 * scale + 2, bottom * scale + 2), outline=(220, 0, 0), width=3
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
