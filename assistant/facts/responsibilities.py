"""Who leads an item: the （牵头领导：…；责任科室：…） notes that close items in some plans.

:func:`extract_items` turns each note into a :class:`ResponsibilityItem`: the item's text
(from the start of its paragraph, or the end of the previous note, to the end of this
one), the leaders and departments named, and the note's fields as written.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..chunking import ITEM_NOTE, item_fields
from ..schema import Document

_LEADER_KEYS = ("牵头领导", "责任领导", "分管领导")
_DEPARTMENT_KEYS = ("责任科室", "牵头科室", "责任单位", "牵头单位", "责任部门", "牵头部门", "配合科室", "配合单位")


def _names(value: str) -> list[str]:
    """ "医政科、规信科等" → ["医政科", "规信科"]."""
    return [n for n in (part.strip().removesuffix("等") for part in re.split(r"[、，,和及]", value)) if n]


@dataclass(slots=True)  # many per plan: no per-object __dict__
class ResponsibilityItem:
    """One item of a plan with who is responsible for it; ``document.text[start:end] == text``."""

    doc_id: str
    source: str
    text: str
    start: int
    end: int
    leaders: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def extract_items(document: Document) -> list[ResponsibilityItem]:
    """Every item of ``document`` that ends with a responsibility note, in reading order."""
    text = document.text
    items = []
    previous_end = 0
    for match in ITEM_NOTE.finditer(text):
        paragraph_start = text.rfind("\n", 0, match.start()) + 1
        start = max(paragraph_start, previous_end)
        while start < match.start() and text[start] in " \t\u3000\n。":
            start += 1
        fields = item_fields(match.group(0))
        leaders = [n for key in _LEADER_KEYS if key in fields for n in _names(fields[key])]
        departments = [n for key in _DEPARTMENT_KEYS if key in fields for n in _names(fields[key])]
        items.append(
            ResponsibilityItem(
                document.doc_id, document.source, text[start : match.end()], start, match.end(),
                list(dict.fromkeys(leaders)), list(dict.fromkeys(departments)), fields,
            )
        )  # fmt: skip
        previous_end = match.end()
    return items
