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

from ..config import Settings
from ..schema import Chunk, Coverage, Document
from ..text import TITLE_PLANNED_YEAR, TITLE_REVIEWED_YEAR

# "(2024-2027年)", "2021—2025年": a period the title plans.
_TITLE_PERIOD = re.compile(r"(20\d{2})\s*年?\s*[-—－–~～至到]\s*(20\d{2})\s*年")
# "到2025年", "至2030年": the horizon of a target.
_HORIZON = re.compile(r"(?:到|至|截至|截止)\s*(20\d{2})\s*年")
# A year in running text; not one inside a 文号 (〔2021〕) or a longer number.
_YEAR_IN_TEXT = re.compile(r"(?<![\d〔\[【])(20\d{2})\s*年(?!\d)")


class YearCoverage:
    """Reads the years a document covers (see the module docstring).

    Args:
        max_horizon_years: how far past its plan year a target horizon may lie and still be
            the plan's own: a five-year plan's end (十四五 in a 2022 plan) is in, "到2035年"
            vision statements are out; also the longest period a title may plan.
        head_chars: how much of a document's head is read for the title a notice issues.
    """

    def __init__(self, max_horizon_years: int = 5, head_chars: int = 1000) -> None:
        if max_horizon_years < 1:
            raise ValueError(f"max_horizon_years must be at least 1 (got {max_horizon_years})")
        if head_chars < 1:
            raise ValueError(f"head_chars must be at least 1 (got {head_chars})")
        self.max_horizon_years = max_horizon_years
        self.head_chars = head_chars

    @classmethod
    def from_settings(cls, settings: Settings) -> YearCoverage:
        return cls(settings.coverage_max_horizon_years, settings.coverage_head_chars)

    @property
    def signature(self) -> str:
        """Its parameters, for the index key: another horizon means other coverage."""
        return f"coverage-{self.max_horizon_years}-{self.head_chars}"

    def mark(self, document: Document, chunks: list[Chunk]) -> None:
        """Set ``document.reviews`` (the years its review sections look back at) and
        ``document.covers`` from its chunks: the one place both are derived, at index time."""
        document.reviews = sorted({c.about_year for c in chunks if c.about_year})
        document.covers = self.years(document, chunks)

    def years(self, document: Document, chunks: Iterable[Chunk]) -> list[Coverage]:
        """Every year ``document`` covers, each once with its strongest role: planned and reviewed
        before mentioned; sorted by year. ``chunks`` are the document's chunks (their
        ``about_year`` marks review sections)."""
        found: dict[tuple[int, str], Coverage] = {}

        def add(year: int, role: str, source: str) -> None:
            found.setdefault((year, role), Coverage(year, role, source))

        title = re.sub(r"\s+", "", document.title or "")
        reviewed_in_title = [int(y) for y in TITLE_REVIEWED_YEAR.findall(title)]
        planned_in_title = [int(y) for y in TITLE_PLANNED_YEAR.findall(title) if int(y) not in reviewed_in_title]
        # The period of the plan: in its title, or in the title a notice at its head names
        # ("《沅江市…行动计划(2024-2027年)…》").
        head = document.text[: self.head_chars]
        named = " ".join(name for name in re.findall(r"《([^》]{2,80})》", head) if title and title in name)
        for start, end in _TITLE_PERIOD.findall(f"{title} {named}"):
            if int(start) <= int(end) <= int(start) + self.max_horizon_years:
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
                if base < year <= base + self.max_horizon_years:
                    add(year, "planned", "target horizon")
        covered = {year for year, _ in found}
        for year in map(int, _YEAR_IN_TEXT.findall(document.text)):
            if year not in covered:
                add(year, "mentioned", "text")
        return sorted(found.values(), key=lambda c: (c.year, c.role))
