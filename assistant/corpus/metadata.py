"""A plan's metadata from a manifest entry or, failing that, from evidence in its own text.

Title, region, level, year, issuer, 文号 and date are inferred from evidence weighted by
where it appears, never from the first place name that occurs in the text:

- **strong evidence** — the title line, the issuer (发布机构, 来源, an organisation line
  at the head or the signature), the speaker of a report ("广东省省长 王伟中", "国务院总理"),
  the congress it was delivered to ("第十四届全国人民代表大会"), the portal that
  published it, the province abbreviation of its 文号 (浙卫发 → 浙江);
- **scope words** — 全国/我国 against 全省/全市/全县/全区 decide the level, and a plan
  whose scope is the whole country belongs to 全国 (national; a ministry's when it is not
  the State Council's);
- **body mentions** — weak and capped: full names, short names of provinces and cities
  (never of counties: 合作, 资源, 和平 are words before they are places), "健康东海"-style
  own-region names, and parents supporting their children.

Every inferred field carries its evidence and a confidence (0–1) in
``Document.provenance``; a field under 0.6 is shown as uncertain.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..schema import Document, Region, short_name
from ..text import DOC_NUMBER, DOC_NUMBER_LINE, TITLE_PLANNED_YEAR, TITLE_REVIEW_WORDS
from .record import is_chrome, split_lines
from .regions import Gazetteer

NATIONAL = "全国"
NATIONAL_EN = "China"
UNCERTAIN_BELOW = 0.6

_TITLE_WORDS = re.compile(
    r"工作计划|工作要点|计划安排|工作安排|实施方案|工作方案|规划|要点|计划|政府工作报告|工作报告|工作总结|意见|通知"
)
_MARKER = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*、|[（(]\s*[一二三四五六七八九十\d]+\s*[）)]|\d+\s*[.．、])")
# A title that reports on a year rather than planning it.
_SUMMARY_TITLE = re.compile(TITLE_REVIEW_WORDS)
_YEAR = re.compile(r"(?<![\d到至～~])(20\d{2})\s*年(?!\d)")
_FORWARD_YEAR = re.compile(r"(?:到|至|截至|～|~|-|—)\s*(20\d{2})\s*年")
_DATE = re.compile(r"(20\d{2})\s*(?:[-./年])\s*(\d{1,2})\s*(?:[-./月])\s*(\d{1,2})\s*日?")
_ISSUER_FIELD = re.compile(r"(?:发布机构|来源|信息来源|发文机关)\s*[:：]\s*\|?\s*([^|\s]+)")
_ORGANISATION = re.compile(
    r"^\s*(\S{0,14}(?:卫生健康委员会|卫生健康委|卫健委|卫生健康局|卫生局|人民政府|办公室|办公厅|委员会|管理局|厅|部|局))\s*$"
)
_SPEAKER = re.compile(r"(\S{2,12}?)(?:省长|市长|县长|区长|州长|盟长|旗长|自治区主席|总理)(?:\s|　|$)")
_CONGRESS = re.compile(r"在?(\S{0,12}?)第[一二三四五六七八九十]+届(全国)?人民代表大会")
_ON_BEHALF = re.compile(r"我代表(\S{0,14}?(?:人民政府|国务院))")
_PORTAL = re.compile(r"(\S{2,12}?)(?:人民政府|政府)?门户网站")
_HEALTH_OWN = re.compile(r"健康([\u4e00-\u9fff]{2,4})")  # 健康浙江, 健康东海: the plan's own region
_SCOPE_WORDS = {
    "全国": "national",
    "我国": "national",
    "全省": "province",
    "全市": "city",
    "全县": "county",
    "全区": "county",
}
# The State Council speaks (not merely mentioned): national level; other national bodies: ministry level.
_STATE_COUNCIL = re.compile(
    r"国务院总理|我代表国务院|全国人民代表大会|^\s*国务院(?:办公厅)?\s*$|国务院(?:办公厅)?关于", re.M
)
# 文号 prefixes: the province abbreviation that opens an issuer's code (浙卫发, 苏政办发, 豫卫 …).
_PROVINCE_ABBREVIATIONS = {
    "京": "北京市", "津": "天津市", "冀": "河北省", "晋": "山西省", "蒙": "内蒙古自治区", "辽": "辽宁省",
    "吉": "吉林省", "黑": "黑龙江省", "沪": "上海市", "苏": "江苏省", "浙": "浙江省", "皖": "安徽省",
    "闽": "福建省", "赣": "江西省", "鲁": "山东省", "豫": "河南省", "鄂": "湖北省", "湘": "湖南省",
    "粤": "广东省", "桂": "广西壮族自治区", "琼": "海南省", "渝": "重庆市", "川": "四川省", "黔": "贵州省",
    "滇": "云南省", "藏": "西藏自治区", "陕": "陕西省", "甘": "甘肃省", "青": "青海省", "宁": "宁夏回族自治区",
    "新": "新疆维吾尔自治区",
}  # fmt: skip
_LEVEL_RANK = {"province": 0, "city": 1, "county": 2}
# 文号 of national bodies: the State Council's own (国发, 国办发, 国办函) and those of its ministries,
# commissions and their offices (国卫医发, 国中医药办发, 国疾控发, 国医保发, 国健推委办发 …).
_STATE_COUNCIL_NUMBER = re.compile(r"^国(?:发|办发|办函|函)〔")
_NATIONAL_BODY_NUMBER = re.compile(r"^国[\u4e00-\u9fff]{1,6}〔")
# Labels of a portal's record table, flattened to "名称: | … |" cells on some portals.
_CELL = r"\s*[:：]\s*\|?\s*"


@dataclass
class Evidence:
    """One inferred field: its value, where it came from and how sure the inference is."""

    value: object
    evidence: str
    confidence: float
    chain: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"evidence": self.evidence, "confidence": round(self.confidence, 2)}


@dataclass
class _Candidates:
    """Region candidates with their weights and the evidence behind each."""

    weights: Counter = field(default_factory=Counter)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    strong: Counter = field(default_factory=Counter)

    def add(self, region: Region, weight: float, why: str, strong: bool) -> None:
        key = region.chain
        self.weights[key] += weight
        self.reasons.setdefault(key, []).append(why)
        if strong:
            self.strong[key] += weight


class MetadataReader:
    """Builds a Document's metadata from a manifest entry or, failing that, from its text."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer()

    def read(self, path: Path, text: str, entry: dict | None) -> Document:
        """The document of ``path`` with manifest values where given and inferred ones elsewhere."""
        entry = dict(entry or {})
        guessed = self.infer(text, path.stem)
        inferred: list[str] = []
        provenance: dict[str, dict] = {}
        for key, found in guessed.items():
            if key == "region_parent":
                if "region" in inferred and not entry.get("region_parent") and found.value:
                    entry[key] = found.value  # which 鼓楼区: the one in the city the text names
                continue
            if entry.get(key) in (None, "") and found.value not in (None, "", []):
                entry[key] = found.value
                inferred.append(key)
                provenance[key] = found.to_json()
        for key in entry:
            if key not in inferred and key in guessed and key != "region_parent":
                provenance[key] = {"evidence": "manifest", "confidence": 1.0}
        region_name = entry.get("region") or ""
        if region_name == NATIONAL:
            chain, level = [NATIONAL], entry.get("level") or "national"
        else:
            found = self.gazetteer.lookup(region_name, entry.get("region_parent")) if region_name else []
            chain = list(found[0].chain) if found else ([region_name] if region_name else [])
            level = entry.get("level") or (found[0].level if found else "unknown")
        english = entry.get("region_en") or (
            NATIONAL_EN if region_name == NATIONAL else self.gazetteer.english_name(chain[0]) if chain else None
        )
        return Document(
            doc_id=entry.get("id") or path.stem,
            source=path.name,
            title=entry.get("title") or path.stem,
            region=region_name,
            region_chain=chain,
            level=level,
            year=int(entry["year"]) if entry.get("year") else None,
            issuer=entry.get("issuer"),
            doc_number=entry.get("doc_number"),
            published=entry.get("published"),
            region_en=english,
            text=text,
            inferred=sorted(set(inferred)),
            provenance=provenance,
            added_by=entry.get("added_by"),
            added_at=entry.get("added_at"),
            confirmed=entry.get("confirmed", True) is not False,
        )

    # -- inference --------------------------------------------------------------------------

    def infer(self, text: str, stem: str = "") -> dict[str, Evidence]:
        """Best guesses from the text for every metadata field, each with its evidence."""
        lines = [ln.stripped for ln in split_lines(text) if ln.stripped]
        head_lines = lines[:30]
        head = "\n".join(head_lines)
        tail = "\n".join(lines[-12:])
        title = self._title(lines, text, stem)
        number = self._doc_number(text)
        issuer_text, issuer_why = self._issuer_text(head_lines, lines[-12:], text)
        scope = Counter({w: text.count(w) for w in _SCOPE_WORDS})
        level_hint, level_why = self._scope_level(scope)
        national = self._national(head, tail, title.value, scope, number.value)
        region = self._region(text, head, title, issuer_text, issuer_why, number, level_hint, national)
        level = self._level(region, level_hint, level_why, national, issuer_text)
        year = self._year(title, head, text, number)
        issuer = self._issuer(issuer_text, issuer_why, region, head, national)
        published = self._published(head)
        parent = Evidence(region.chain[1] if len(region.chain) > 1 else None, region.evidence, region.confidence)
        return {
            "title": title,
            "year": year,
            "doc_number": number,
            "issuer": issuer,
            "published": published,
            "region": region,
            "region_parent": parent,
            "level": level,
        }

    def _title(self, lines: list[str], text: str, stem: str) -> Evidence:
        info = next(
            (m.group(1) for ln in lines[:30] if (m := re.search(rf"(?:^|\|\s*)(?:信息)?名称{_CELL}([^|]*[^|\s])", ln))),
            None,
        )
        if info:
            return Evidence(re.sub(r"\s+", "", info), "名称 field of the record", 0.95)
        candidates = []
        for line in lines[:20]:
            if is_chrome(line) or _MARKER.match(line) or len(line) > 80 or not _TITLE_WORDS.search(line):
                continue
            if line.endswith(("。", "；", "：", ":")) or ("，" in line[:-1] and "通知" not in line):
                continue  # a sentence, not a title
            candidates.append(re.sub(r"\s+", "", line))
        if candidates:
            # A line that is only a title ("政府工作报告") beats a headline that carries a date and a speaker.
            plain = [c for c in candidates if not _DATE.search(c) and len(c) <= 40]
            title = (plain or candidates)[0]
            # "关于印发2022年全市卫生健康工作要点的通知" wraps the plan; its inner title is the plan's.
            inner = re.search(r"《([^》]+)》", text[:2000]) if "通知" in title else None
            if inner:
                return Evidence(re.sub(r"\s+", "", inner.group(1)), "title named in the notice", 0.9)
            return Evidence(title, "title line", 0.85)
        return Evidence(stem, "file name (no title line found)", 0.3)

    @staticmethod
    def _doc_number(text: str) -> Evidence:
        # Only the plan's own number: a 文号 field or a line holding nothing else; numbers
        # inside sentences are policies the plan cites.
        head = text[:3000]
        own = re.search(rf"文\s*号{_CELL}([^|\s]+号)", head)
        why = "文号 field"
        if not own:
            own = DOC_NUMBER_LINE.search(head)
            why = "a line holding only a document number"
        number = DOC_NUMBER.search(own.group(1)) if own else None
        if not number:
            return Evidence(None, "no 文号 in the head of the text", 0.0)
        # One spelling of the year's brackets: portals and OCR write 浙卫发[2022]8号 for 浙卫发〔2022〕8号.
        written = re.sub(r"\s+", "", number.group(0))
        return Evidence(re.sub(r"[\[［(（](\d{4})[\]］)）]", r"〔\1〕", written), why, 0.9)

    @staticmethod
    def _issuer_text(head: list[str], tail: list[str], text: str = "") -> tuple[str | None, str]:
        """The issuer as written, by the strength of where it is stated."""
        joined = "\n".join(head)
        for line in head:
            match = re.search(rf"发布机构{_CELL}([^|\s]+)", line)
            if match:
                return match.group(1), "发布机构 field"
        # The speaker of a report says whom they speak for wherever it comes, often after pages
        # of portal chrome.
        behalf = _ON_BEHALF.search(text or joined)
        if behalf:
            return behalf.group(1), "“我代表…” in the report"
        for line in head:
            match = re.match(r"^(\S{2,20}?(?:卫生健康委员会|卫生健康委|卫健委|卫生健康局|人民政府))关于", line)
            if match:
                return match.group(1), "issuer named in the notice title"
        for lines, where in ((tail[::-1], "signature line"), (head, "organisation line at the head")):
            for line in lines:
                match = _ORGANISATION.match(line)
                if match and not _MARKER.match(line):
                    return match.group(1), where
        for line in head:
            match = _ISSUER_FIELD.search(line)
            if match:
                return match.group(1), "来源 field"
        return None, ""

    @staticmethod
    def _scope_level(scope: Counter) -> tuple[str | None, str]:
        local = {w: n for w, n in scope.items() if _SCOPE_WORDS[w] != "national" and n}
        if not local:
            return None, ""
        # A plan cites the meetings of the levels above it ("落实全国、全省卫生健康工作会议精神")
        # and never those below: of scope words said as often, the lowest level is its own.
        word, count = max(local.items(), key=lambda item: (item[1], _LEVEL_RANK.get(_SCOPE_WORDS[item[0]], 0)))
        return _SCOPE_WORDS[word], f"{word} ×{count}"

    @staticmethod
    def _national(head: str, tail: str, title: object, scope: Counter, number: object = None) -> str | None:
        """ "national" (the State Council's), "ministry" (a national body's) or None."""
        if number and _STATE_COUNCIL_NUMBER.match(str(number)):
            return "national"
        if number and _NATIONAL_BODY_NUMBER.match(str(number)):
            return "ministry"
        if _SPEAKER.search(head) and re.search(r"国务院总理", head):
            return "national"
        congress = _CONGRESS.search(head)
        if congress and congress.group(2):
            return "national"
        national = scope["全国"] + scope["我国"]
        local = scope["全省"] + scope["全市"] + scope["全县"] + scope["全区"]
        if national >= 5 and national >= 3 * max(local, 1):
            return "national" if _STATE_COUNCIL.search("\n".join([head, tail, str(title or "")])) else "ministry"
        return None

    def _places(self, text: str, counties: bool) -> list[Region]:
        """Regions named at the start of an organisation or title string ("广东省人民政府" → 广东省)."""
        found: list[Region] = []
        for mention in self.gazetteer.mentions(text):
            for region in self.gazetteer.lookup(mention):
                short = mention != region.name
                if short and region.level == "county" and not counties:
                    continue
                found.append(region)
        # "天津市滨海新区人民政府" names one region, 滨海新区 of 天津市: a region named with its
        # own child is the child's address, not a second candidate.
        named = {name for region in found for name in region.parents}
        return [region for region in found if region.name not in named] or found

    def _region(
        self,
        text: str,
        head: str,
        title: Evidence,
        issuer: str | None,
        issuer_why: str,
        number: Evidence,
        level_hint: str | None,
        national: str | None,
    ) -> Evidence:
        candidates = _Candidates()
        strong_sources: list[tuple[str, str, float]] = []
        if title.confidence >= 0.8:
            strong_sources.append((str(title.value), "title", 5.0))
        if issuer:
            strong_sources.append((issuer, issuer_why, 4.0))
        for match in _SPEAKER.finditer(head):
            strong_sources.append((match.group(1), f"speaker “{match.group(0).strip()}”", 5.0))
        for match in _CONGRESS.finditer(head):
            if match.group(1):
                strong_sources.append((match.group(1), f"congress “{match.group(0)}”", 5.0))
        for match in _PORTAL.finditer(head):
            strong_sources.append((match.group(1), f"portal “{match.group(0)}”", 3.0))
        for source, why, weight in strong_sources:
            regions = self._places(source, counties=True)
            # Several homonyms (鼓楼区 in four cities) share the weight.
            for region in regions[:4]:
                candidates.add(region, weight / max(1, len(regions)), why, strong=True)
        if number.value:
            province = _PROVINCE_ABBREVIATIONS.get(str(number.value)[0])
            region = self.gazetteer.region(province) if province else None
            if region:
                candidates.add(region, 2.0, f"文号 prefix {str(number.value)[0]}", strong=True)
        if national and not candidates.strong:
            return Evidence(NATIONAL, f"scope of the whole country ({national})", 0.8)
        counts = self.gazetteer.mentions(text)
        for own in _HEALTH_OWN.findall(text):
            for size in range(len(own), 1, -1):
                if own[:size] in counts:
                    counts[f"健康{own[:size]}"] += 1
                    break
        for mention, count in counts.items():
            own = mention.startswith("健康")
            name = mention[2:] if own else mention
            for region in self.gazetteer.lookup(name):
                short = name != region.name
                named_parent = any(counts.get(p, 0) + counts.get(short_name(p), 0) for p in region.parents)
                if short and region.level == "county" and not (own and named_parent):
                    continue  # a county's short name is a word first (合作, 资源, 和平)
                weight = min(3.0, (1.0 if own else 0.25) * count)
                candidates.add(region, weight, f"{mention} ×{count} in the text", strong=False)
        # Parents named in the text support their children (东海县 with 连云港 and 江苏).
        for chain in list(candidates.weights):
            support = sum(min(1.0, 0.1 * (counts.get(p, 0) + counts.get(short_name(p), 0))) for p in chain[1:])
            if support:
                candidates.weights[chain] += support
        best = self._best(candidates, level_hint)
        if best is None:
            if national:
                return Evidence(NATIONAL, f"scope of the whole country ({national})", 0.7)
            return Evidence(None, "no place named with enough evidence", 0.0)
        chain, weight = best
        strong = candidates.strong.get(chain, 0.0)
        why = "; ".join(dict.fromkeys(candidates.reasons.get(chain, [])))
        confidence = 0.95 if strong >= 4 else 0.8 if strong else min(0.75, 0.35 + 0.1 * weight)
        found = Evidence(chain[0], why or "place names in the text", confidence)
        found.chain = chain  # homonyms (鼓楼区 in four cities) are told apart by the parent
        return found

    def _best(self, candidates: _Candidates, level_hint: str | None) -> tuple[tuple[str, ...], float] | None:
        """The best candidate; a scope word (全县) lifts a lower-level candidate to that level
        and drops higher ones, unless strong evidence names the region."""
        scored: Counter = Counter()
        for chain, weight in candidates.weights.items():
            region = self._region_of(chain)
            if region is None:
                continue
            if level_hint and candidates.strong.get(chain, 0) < 4 and region.level != level_hint:
                lifted = self.gazetteer.ancestor_at(region, level_hint)
                if lifted is None:
                    continue
                chain = lifted.chain
            scored[chain] += weight
        if not scored:
            return None
        ranked = sorted(scored.items(), key=lambda item: (-item[1], -len(item[0])))
        return ranked[0]

    def _region_of(self, chain: tuple[str, ...]) -> Region | None:
        for region in self.gazetteer.lookup(chain[0]):
            if region.chain == chain:
                return region
        return None

    def _level(
        self, region: Evidence, hint: str | None, hint_why: str, national: str | None, issuer: str | None
    ) -> Evidence:
        if region.value == NATIONAL:
            return Evidence(national or "national", region.evidence, region.confidence)
        if not region.value:
            return Evidence(None, "no region", 0.0)
        found = [r for r in self.gazetteer.lookup(str(region.value)) if r.name == region.value]
        level = found[0].level if found else None
        if level:
            return Evidence(level, f"level of {region.value}" + (f"; scope words {hint_why}" if hint_why else ""), 0.9)
        return Evidence(hint, f"scope words {hint_why}", 0.6) if hint else Evidence(None, "unknown", 0.0)

    @staticmethod
    def _year(title: Evidence, head: str, text: str, number: Evidence | None = None) -> Evidence:
        dates = _DATE.findall(head)
        if title.confidence >= 0.8:
            years = _YEAR.findall(str(title.value))
            planned = TITLE_PLANNED_YEAR.findall(str(title.value))  # "…和2023年工作要点"
            if len(years) > 1 and planned:
                # "2022年工作总结和2023年工作要点" is filed under the year it plans.
                return Evidence(int(planned[-1]), "year the title plans", 0.95)
            if years:
                stated = int(years[0])
                published = [int(d[0]) for d in dates if stated < int(d[0]) <= stated + 1]
                if _SUMMARY_TITLE.search(str(title.value)) and len(years) == 1 and published:
                    # "2024年度工作总结" published in 2025 is filed under 2025 and reviews 2024,
                    # as a 政府工作报告 of 2025 reviews 2024 (see chunking's reviewed years).
                    return Evidence(published[0], f"published {published[0]}, reviewing {stated}", 0.85)
                return Evidence(stated, "year in the title", 0.95)
        numbered = re.search(r"〔(20\d{2})〕", str(number.value)) if number and number.value else None
        if numbered:
            return Evidence(int(numbered.group(1)), f"year of its 文号 {number.value}", 0.85)
        if dates:
            return Evidence(int(dates[0][0]), f"first date at the head ({'-'.join(dates[0])})", 0.8)
        counts = Counter(int(y) for y in _YEAR.findall(text))
        for forward in _FORWARD_YEAR.findall(text):  # "到2025年" is a horizon, not the plan's year
            counts[int(forward)] -= 1
        counts = Counter({y: n for y, n in counts.items() if n > 0})
        if not counts:
            return Evidence(None, "no year found", 0.0)
        top = counts.most_common(1)[0][1]
        # A work report of year Y reviews Y-1 at length: among the most frequent years take the latest.
        year = max(y for y, n in counts.items() if n >= 0.5 * top)
        return Evidence(year, f"most frequent year in the text ({year}年 ×{counts[year]})", 0.55)

    def _issuer(self, issuer: str | None, why: str, region: Evidence, head: str, national: str | None) -> Evidence:
        if not issuer:
            return Evidence(None, "no issuer found", 0.0)
        if region.value and region.value != NATIONAL and issuer.startswith(("市", "县", "省", "区")):
            # "发布机构:市卫生健康委员会" leaves the place implicit; name it.
            issuer = str(region.value) + issuer[1:]
        return Evidence(issuer, why, 0.85)

    @staticmethod
    def _published(head: str) -> Evidence:
        dates = _DATE.findall(head)
        if not dates:
            return Evidence(None, "no date at the head", 0.0)
        year, month, day = map(int, dates[0])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return Evidence(None, "no valid date at the head", 0.0)
        return Evidence(f"{year}-{month:02d}-{day:02d}", "first date at the head", 0.7)
