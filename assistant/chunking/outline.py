"""The outline markers of Chinese plans: 一、 / （一）(一) / 1. 1、 / （1）(1) / ①, and item notes.

Shared by the chunker (where sections begin) and by everything that reads headings
(outline answers, responsibility items).
"""

from __future__ import annotations

import re

from ..text import CN_NUMERAL_CHARS

_CN_NUM = CN_NUMERAL_CHARS
MARKER_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("一、", re.compile(rf"^[{_CN_NUM}]{{1,4}}\s*、")),
    ("（一）", re.compile(rf"^[（(]\s*[{_CN_NUM}]{{1,4}}\s*[）)]")),
    ("1.", re.compile(r"^\d{1,3}\s*[.．、](?![\d．.])")),
    ("（1）", re.compile(r"^[（(]\s*\d{1,3}\s*[）)]")),
    ("①", re.compile(r"^[①-⑳]")),
]

# A responsibility note closing an item: （牵头领导：王成江；责任科室：医政科）.
ITEM_NOTE = re.compile(r"[（(]\s*((?:牵头|责任|配合|协办)[^：:（）()]{0,6}[:：][^（）()]*)[）)]")


def marker_family(line: str) -> str | None:
    """The outline family of a line's leading marker ("一、", "（一）", "1." …), or None."""
    for family, pattern in MARKER_FAMILIES:
        if pattern.match(line):
            return family
    return None


def strip_marker(line: str) -> str:
    """The line without its leading outline marker: "(二)坚守四大主业" → "坚守四大主业"."""
    line = line.strip()
    for _, pattern in MARKER_FAMILIES:
        match = pattern.match(line)
        if match:
            return line[match.end() :].lstrip()
    return line


def heading_of(line: str) -> tuple[str, bool]:
    """Heading text of a heading line and whether the line is nothing but the heading.

    "一、守牢疫情防控底线" → ("一、守牢疫情防控底线", True);
    "（二）提升防控能力。建强…" → ("（二）提升防控能力", False).
    """
    line = line.strip()
    first_stop = line.find("。")
    if first_stop == -1 or first_stop == len(line) - 1:
        if len(line) <= 60:
            return line.rstrip("。"), True
        first_stop = -1
    if 0 < first_stop <= 50:
        return line[:first_stop], first_stop == len(line) - 1
    clause = re.search(r"[，,：:；;]", line)
    end = clause.start() if clause and clause.start() <= 50 else 30
    return line[:end], False


def item_fields(text: str) -> dict[str, str]:
    """Trailing item metadata such as （牵头领导：钱博；责任科室：疾控科、医政科等）."""
    fields: dict[str, str] = {}
    for match in ITEM_NOTE.finditer(text):
        for part in re.split(r"[；;]", match.group(1)):
            pair = re.match(r"\s*([^:：]+?)\s*[:：]\s*(.+?)\s*$", part)
            if pair:
                fields.setdefault(pair.group(1), pair.group(2))
    return fields
