""".txt / .md: decoded, line ends made \\n, otherwise unchanged (corpus files convert to exactly their text)."""

from __future__ import annotations

from pathlib import Path

from .errors import ConversionError


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding accepted here (NULs, many control bytes)."""
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(8, len(sample) // 100)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def decode_text(data: bytes, name: str) -> str:
    """Bytes → str: UTF-8 (BOM or not), else GB18030 (a superset of GBK and GB2312).

    Bytes of another encoding (Big5, Latin-1 …) often still decode as GB18030 into rare characters;
    when fewer than 90 % of the Chinese characters are common (GB2312) ones that is refused as garbled.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as err:
        raise ConversionError(f"{name}: not UTF-8 or GBK/GB18030 text (cannot decode byte {err.start})") from None
    chinese = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    if chinese and sum(1 for ch in chinese if _in_gb2312(ch)) / len(chinese) < 0.9:
        raise ConversionError(f"{name}: the text looks garbled when read as GBK/GB18030; save it as UTF-8")
    return text


def read_plain(path: Path, name: str) -> str:
    """The text of a .txt/.md file with \\n line ends; raises ConversionError for binary or undecodable bytes."""
    data = path.read_bytes()
    if looks_binary(data):
        raise ConversionError(f"{name}: looks like a binary file, not plain text")
    return decode_text(data, name).replace("\r\n", "\n").replace("\r", "\n")
