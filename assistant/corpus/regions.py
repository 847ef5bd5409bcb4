"""A gazetteer of Chinese administrative divisions: names, levels, parents, English names.

Used to give each document its region chain (东海县 → 连云港市 → 江苏省), to infer the
region of a new file from its text, and to match region filters (a province matches its
cities and counties).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from ..schema import Region, short_name


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    level: str
    parent: str


class Gazetteer:
    """Lookup of regions by Chinese or English name.

    Loads ``data/regions.tsv`` (3,200 divisions) and ``data/region_names_en.tsv``.
    """

    def __init__(self) -> None:
        data = resources.files("assistant") / "data"
        self._rows: dict[str, _Row] = {}
        for line in (data / "regions.tsv").read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#") or line.startswith("adcode"):
                continue
            code, name, level, parent = line.split("\t")
            self._rows[code] = _Row(code, name, level, parent)
        self.english: dict[str, str] = {}
        for line in (data / "region_names_en.tsv").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                name, en = line.split("\t")
                self.english[name] = en
        self._by_name: dict[str, list[_Row]] = {}
        for row in self._rows.values():
            self._by_name.setdefault(row.name, []).append(row)

    def _region(self, row: _Row) -> Region:
        parents = []
        parent = self._rows.get(row.parent)
        while parent is not None:
            parents.append(parent.name)
            parent = self._rows.get(parent.parent)
        return Region(name=row.name, level=row.level, parents=tuple(parents))

    def lookup(self, name: str, parent: str | None = None) -> list[Region]:
        """All regions called ``name`` (full or short form); ``parent`` narrows homonyms."""
        rows = list(self._by_name.get(name, []))
        if not rows:
            rows = [r for r in self._rows.values() if short_name(r.name) == name]
        regions = [self._region(r) for r in rows]
        if parent:
            regions = [r for r in regions if any(parent in (p, short_name(p)) for p in r.parents)]
        return regions

    def region(self, name: str) -> Region | None:
        """The region with this exact full name when unambiguous, else None."""
        found = self.lookup(name)
        return found[0] if len(found) == 1 else None

    def levels(self) -> dict[str, str]:
        """Every region name with its level (the first, for homonyms)."""
        return {name: rows[0].level for name, rows in self._by_name.items()}

    def english_name(self, name: str) -> str | None:
        return self.english.get(name)

    @cached_property
    def _mention_pattern(self) -> re.Pattern[str]:
        names = set(self._by_name)
        names |= {short_name(n) for n in names}
        alternatives = sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
        return re.compile("|".join(map(re.escape, alternatives)))

    def mentions(self, text: str) -> Counter[str]:
        """Count region names (full or short form) occurring in ``text``, longest match first."""
        return Counter(m.group(0) for m in self._mention_pattern.finditer(text))

    def ancestor_at(self, region: Region, level: str) -> Region | None:
        """The region itself or the parent of ``region`` that has ``level``."""
        for name in region.chain:
            for candidate in self.lookup(name):
                if candidate.level == level and candidate.chain == region.chain[region.chain.index(name) :]:
                    return candidate
        return None

    def infer_region(self, text: str, level: str | None = None) -> Region | None:
        """Guess the region a plan is about from the place names in its text.

        Each candidate region is scored by how often it and its parents are mentioned;
        a county whose city and province are also named beats a homonym elsewhere.
        ``level`` (from words like 全市/全县) lifts a county candidate to its city, or
        drops candidates below the plan's level. Returns None when nothing is mentioned.
        """
        counts = self.mentions(text)
        best: tuple[float, int, Region] | None = None
        for mention, count in counts.items():
            for found in self.lookup(mention):
                # A county's short name is often an ordinary word (新建区 → "新建"): count it
                # only when the text also names the county's city or province.
                named_parent = any(counts.get(p, 0) + counts.get(short_name(p), 0) for p in found.parents)
                if found.level == "county" and mention != found.name and not named_parent:
                    continue
                region = self.ancestor_at(found, level) if level else found
                if region is None:
                    continue
                support = sum(counts.get(p, 0) + counts.get(short_name(p), 0) for p in region.parents)
                depth = len(region.parents)
                score = count + 0.5 * support
                key = (score, depth, region)
                if best is None or key[:2] > best[:2]:
                    best = key
        return best[2] if best else None
