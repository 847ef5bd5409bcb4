"""The stage "documents → text": every supported original becomes one clean text plus where each
span of it came from (page, line box, table).

    from assistant.convert import convert, ConvertOptions, ConversionError
    result = convert(Path("upload.bin"), name="浙江2022.pdf")
    result.text, result.kind, result.page_at(1200).page

Formats: .txt/.md (UTF-8 or GB18030, text unchanged), .pdf (text layer via pdfplumber; scanned or
garbage pages by OCR, decided page by page), scanned images (.png .jpg .jpeg .tif .tiff .bmp .webp,
OCR with RapidOCR), .docx, saved web pages (.html/.htm). See docs/convert.md.

This package imports only the standard library and third-party libraries (no other policyqa stage).
"""

from .cache import ConversionCache
from .core import SUFFIXES, VERSION, convert
from .errors import ConversionError
from .isolated import convert_isolated
from .model import KINDS, Converted, LineBox, PageSpan, TableSpan
from .options import ConvertOptions
from .render import boxed_page_png, render_page

__all__ = [
    "KINDS",
    "SUFFIXES",
    "VERSION",
    "ConversionCache",
    "ConversionError",
    "ConvertOptions",
    "Converted",
    "LineBox",
    "PageSpan",
    "TableSpan",
    "boxed_page_png",
    "convert",
    "convert_isolated",
    "render_page",
]
