"""The years a document covers, and how: planned, reviewed, or only mentioned.

A document is filed under one year, but speaks about several: a "2022年工作总结和2023年工作要点"
reviews 2022 and plans 2023; a 政府工作报告 of 2024 reviews 2023 in its first section; a plan
for 2022 sets targets "到2025年"; an action plan "(2024-2027年)" plans each of those years.
Year filters and the "no plan for that year" decision read this set, not the filing year alone
(:class:`~assistant.schema.Filters`, :class:`~assistant.ask.question.QuestionAnalyzer`).

Read from the title, the review sections the chunker found (``Chunk.about_year``) and the
text; computed once per document at index time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..schema import Chunk, Coverage, Document

# "2023年工作要点", "2023年度卫生健康工作计划": a year the title plans.
_TITLE_PLANNED = re.compile(r"(20\d{2})\s*年度?[^0-9，。、和及与]{0,16}?(?:要点|计划|安排|方案|任务|报告)")
# "2022年工作总结", "2023年度…绩效评价自评报告": a year the title reports on.
_TITLE_REVIEWED = re.compile(r"(20\d{2})\s*年度?[^0-9，。、和及与]{0,24}?(?:总结|自评|评价|执行情况|回顾|成效)")
# "(2024-2027年)", "2021—2025年": a period the title plans.
_TITLE_PERIOD = re.compile(r"(20\d{2})\s*年?\s*[-—－–~～至到]\s*(20\d{2})\s*年")
# "到2025年", "至2030年": the horizon of a target.
_HORIZON = re.compile(r"(?:到|至|截至|截止)\s*(20\d{2})\s*年")
# A year in running text; not one inside a 文号 (〔2021〕) or a longer number.
_YEAR_IN_TEXT = re.compile(r"(?<![\d〔\[【])(20\d{2})\s*年(?!\d)")
# How far ahead a target horizon may lie and still be the plan's own: a five-year plan's end
# (十四五 in a 2022 plan) is in, "到2035年" vision statements are out.
MAX_HORIZON_YEARS = 5
# Where a notice names the plan it issues.
HEAD_CHARS = 1000


def mark_years(document: Document, chunks: list[Chunk]) -> None:
    """Set ``document.reviews`` (the years its review sections look back at) and
    ``document.covers`` from its chunks: the one place both are derived, at index time."""
    document.reviews = sorted({c.about_year for c in chunks if c.about_year})
    document.covers = year_coverage(document, chunks)


def year_coverage(document: Document, chunks: Iterable[Chunk]) -> list[Coverage]:
    """Every year ``document`` covers, each once with its strongest role: planned and reviewed
    before mentioned; sorted by year. ``chunks`` are the document's chunks (their
    ``about_year`` marks review sections)."""
    found: dict[tuple[int, str], Coverage] = {}

    def add(year: int, role: str, source: str) -> None:
        found.setdefault((year, role), Coverage(year, role, source))

    title = re.sub(r"\s+", "", document.title or "")
    reviewed_in_title = [int(y) for y in _TITLE_REVIEWED.findall(title)]
    planned_in_title = [int(y) for y in _TITLE_PLANNED.findall(title) if int(y) not in reviewed_in_title]
    # The period of the plan: in its title, or in the title a notice at its head names
    # ("《沅江市…行动计划(2024-2027年)…》").
    named = " ".join(
        name for name in re.findall(r"《([^》]{2,80})》", document.text[:HEAD_CHARS]) if title and title in name
    )
    for start, end in _TITLE_PERIOD.findall(f"{title} {named}"):
        if int(start) <= int(end) <= int(start) + MAX_HORIZON_YEARS:
            planned_in_title += range(int(start), int(end) + 1)
    # A review section holds the reviewed year where the chunker found one ("一、2022年工作总结"):
    # then the rest of a "总结和要点" document is about the year it plans. A title's reviewed
    # year without such a section (a summary alone) is the whole document's.
    for chunk in chunks:
        if chunk.about_year:
            add(chunk.about_year, "reviewed", "review section")
    for year in reviewed_in_title:
        add(year, "reviewed", "title")
    for year in planned_in_title:
        add(year, "planned", "title")
    # A summary alone ("2024年度工作总结", filed under 2025) plans nothing for its filing year.
    summary_only = bool(reviewed_in_title) and not planned_in_title
    if document.year and not summary_only:
        add(document.year, "planned", "plan year")
    base = document.year or max(planned_in_title, default=0)
    if base and not summary_only:
        for year in map(int, _HORIZON.findall(document.text)):
            if base < year <= base + MAX_HORIZON_YEARS:
                add(year, "planned", "target horizon")
    covered = {year for year, _ in found}
    for year in map(int, _YEAR_IN_TEXT.findall(document.text)):
        if year not in covered:
            add(year, "mentioned", "text")
    return sorted(found.values(), key=lambda c: (c.year, c.role))
