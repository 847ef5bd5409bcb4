"""A plan's metadata (title, region, level, year, issuer, 文号, date) from a manifest entry or its text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import ClassVar

from ..schema import Document
from ..text import DOC_NUMBER
from .record import is_chrome, split_lines
from .regions import Gazetteer


class MetadataReader:
    """Builds a Document's metadata from a manifest entry or, failing that, from its text."""

    _TITLE_WORDS = re.compile(r"(工作计划|工作要点|计划安排|工作安排|实施方案|工作方案|规划|要点|计划)")
    _YEAR = re.compile(r"(20\d{2})\s*年")
    _DATE = re.compile(r"(20\d{2})[-年.](\d{1,2})[-月.](\d{1,2})日?")
    _ISSUER = re.compile(r"发布机构[:：]\s*(\S+)")
    _ISSUER_LINE = re.compile(
        r"^\s*(\S{2,12}(?:卫生健康委员会|卫生健康委|卫健委|卫生健康局|人民政府|办公室))\s*$", re.M
    )
    _LEVEL_WORDS: ClassVar[dict[str, str]] = {"全省": "province", "全市": "city", "全县": "county", "全区": "county"}

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer()

    def read(self, path: Path, text: str, entry: dict | None) -> Document:
        inferred: list[str] = []
        entry = dict(entry or {})
        guessed = self._infer(text)
        for key, value in guessed.items():
            if entry.get(key) in (None, ""):
                entry[key] = value
                if value not in (None, "", []):
                    inferred.append(key)
        region = self.gazetteer.lookup(entry["region"], entry.get("region_parent")) if entry.get("region") else []
        chain = list(region[0].chain) if region else ([entry["region"]] if entry.get("region") else [])
        level = entry.get("level") or (region[0].level if region else "unknown")
        doc = Document(
            doc_id=entry.get("id") or path.stem,
            source=path.name,
            title=entry.get("title") or path.stem,
            region=entry.get("region") or "",
            region_chain=chain,
            level=level,
            year=int(entry["year"]) if entry.get("year") else None,
            issuer=entry.get("issuer"),
            doc_number=entry.get("doc_number"),
            published=entry.get("published"),
            region_en=entry.get("region_en") or (self.gazetteer.english_name(chain[0]) if chain else None),
            text=text,
            inferred=sorted(set(inferred)),
        )
        return doc

    def _infer(self, text: str) -> dict:
        """Best guesses from the text for every metadata field."""
        content = [ln.stripped for ln in split_lines(text) if ln.stripped]
        info_title = next((m.group(1) for ln in content if (m := re.match(r"信息名称[:：]\s*(\S.*)", ln))), None)
        title = info_title or next(
            (ln for ln in content[:20] if not is_chrome(ln) and len(ln) <= 60 and self._TITLE_WORDS.search(ln)),
            None,
        )
        if title:
            # "关于印发2022年全市卫生健康工作要点的通知" wraps the plan; its inner title is the plan's.
            inner = re.search(r"《([^》]+)》", text[:2000]) if "通知" in title else None
            title = re.sub(r"\s+", "", inner.group(1) if inner else title)
        years = self._YEAR.findall(title or "") or self._YEAR.findall(text[:3000])
        # Only the plan's own number: a 文号 field or a line holding nothing else;
        # numbers inside sentences are policies the plan cites.
        own_number = re.search(r"文\s*号[:：]\s*(\S+号)", text[:3000]) or re.search(
            rf"^\s*({DOC_NUMBER.pattern})\s*$", text[:3000], re.M
        )
        number = DOC_NUMBER.search(own_number.group(1)) if own_number else None
        issuer = self._ISSUER.search(text[:3000]) or self._ISSUER_LINE.search(text[:3000])
        dates = self._DATE.findall(text[:3000])
        level_hints = Counter(self._LEVEL_WORDS[w] for w in re.findall("|".join(self._LEVEL_WORDS), text))
        level_hint = level_hints.most_common(1)[0][0] if level_hints else None
        region = self.gazetteer.infer_region(text, level=level_hint)
        issuer_name = issuer.group(1) if issuer else None
        if issuer_name and region and issuer_name.startswith(("市", "县", "省", "区")):
            # "发布机构:市卫生健康委员会" leaves the place implicit; name it.
            issuer_name = region.name + issuer_name[1:]
        return {
            "title": title,
            "year": int(years[0]) if years else None,
            "doc_number": re.sub(r"\s+", "", number.group(0)) if number else None,
            "issuer": issuer_name,
            "published": "{}-{:02d}-{:02d}".format(*map(int, dates[0])) if dates else None,
            "region": region.name if region else None,
            "level": region.level if region else None,
        }
