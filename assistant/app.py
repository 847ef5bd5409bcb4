"""The staff chat page (``policyqa serve``): a Gradio Blocks app over one :class:`PolicyQA`.

Tabs: 提问 Ask (chat with cited answers, filters, copyable text), 对比 Compare (one topic
across all plans, CSV/Markdown download), 引用 References (policies the plans cite),
文档 Documents (corpus metadata, outlines, text, upload of a new plan) and 评测 Evaluation
(the gold set with metrics, chart and failing questions).

``build_app(qa)`` returns the Blocks (tests launch it on a free port with
``launch_app(demo, port=..., prevent_thread_lock=True)``); ``serve(settings, host, port)``
opens the index (building it if missing) and serves until interrupted.

The rendering helpers (``answer_html``, ``answer_plain`` …) are plain functions of the
pipeline's records, so they can be tested without a browser.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no outside calls

import html
import logging
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import gradio as gr

from .config import Settings
from .corpus import CorpusError
from .evaluation import GoldFileError, evaluate, load_gold, write_report
from .ingest import ACCEPTED_SUFFIXES, ingest_upload
from .pipeline import PolicyQA
from .retrieval import Filters
from .schema import Answer, Chunk, Citation, Document, Hit

log = logging.getLogger(__name__)

EXAMPLES = [
    "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少",
    "What are the elderly-care targets in Zhejiang 2022?",
    "遂宁2022年为多少农村妇女开展两癌筛查",
    "How many rural women will Suining screen for the two cancers in 2022?",
    "东海县医养结合机构建设有什么安排",
    "杭州2023年老年医学科比例",
]
DEFAULT_GOLD = Path("eval/gold.jsonl")
NO_ANSWER = "文件中没有明确答案 / No clear answer"
CONTEXT_CHARS = 700  # document text shown on each side of a cited passage
# Gradio shows a progress bar for a handler whose parameter defaults to a gr.Progress;
# TRACK_TQDM also follows the index builder's tqdm bars (embedding passages / sentences).
PROGRESS = gr.Progress()
TRACK_TQDM = gr.Progress(track_tqdm=True)
PICK_PLAN = (
    '<div class="pq-outline"><i>选择一个计划（或点击上表中的一行）查看目录和全文。'
    "Pick a plan (or click a row above) to see its outline and text.</i></div>"
)

CSS = """
.pq-answer { font-size: 1rem; line-height: 1.7; }
.pq-ref { color: #1d4ed8; font-weight: 600; font-size: 0.75em; }
.pq-applied { margin: 6px 0; font-size: 0.85rem; color: #475569; }
.pq-applied b { color: #0f766e; }
.pq-abstain { background: #fef9c3; border: 1px solid #eab308; border-left: 6px solid #eab308;
  border-radius: 8px; padding: 10px 12px; color: #422006; }
.pq-abstain-title { font-weight: 700; margin-bottom: 4px; }
.pq-section-title { margin: 10px 0 4px; font-weight: 600; font-size: 0.9rem; color: #334155; }
.pq-cards { display: flex; flex-direction: column; gap: 8px; margin-top: 8px; }
.pq-card { border: 1px solid #cbd5e1; border-radius: 8px; padding: 8px 10px; background: #f8fafc;
  color: #0f172a; }
.pq-card-head { font-size: 0.9rem; }
.pq-n { display: inline-block; min-width: 1.6em; padding: 0 6px; margin-right: 6px; border-radius: 999px;
  background: #1d4ed8; color: #fff; text-align: center; font-weight: 700; font-size: 0.8rem; }
.pq-card.pq-near .pq-n { background: #a16207; }
.pq-trail { font-size: 0.8rem; color: #475569; margin: 2px 0 4px; }
.pq-passage { font-size: 0.9rem; line-height: 1.65; white-space: normal; overflow-wrap: anywhere; }
.pq-passage mark, .pq-doc mark { background: #fde047; color: #111827; padding: 0 1px; }
.pq-context summary { cursor: pointer; font-size: 0.8rem; color: #1d4ed8; margin-top: 4px; }
.pq-doc { max-height: 320px; overflow-y: auto; font-size: 0.85rem; line-height: 1.65; padding: 6px 8px;
  margin-top: 4px; border-left: 3px solid #93c5fd; background: #fff; overflow-wrap: anywhere; }
.pq-doc .pq-in { background: #e0f2fe; }
.pq-span { font-size: 0.75rem; color: #64748b; }
.pq-notice { background: #f1f5f9; border-radius: 8px; padding: 8px 12px; }
.pq-outline { font-size: 0.9rem; line-height: 1.6; max-height: 520px; overflow-y: auto; }
.pq-outline div { overflow-wrap: anywhere; }
.pq-cites { display: flex; flex-direction: column; gap: 6px; }
#pq-title h1 { margin-bottom: 0; }
.pq-table [role=gridcell], .pq-table [role=gridcell] *, .pq-table [role=columnheader] * {
  font-family: var(--font) !important; }
@media (max-width: 640px) { .pq-doc { max-height: 220px; } }
"""


def theme() -> gr.themes.Base:
    """A theme with local fonts only (no web-font downloads) and CJK fallbacks."""
    cjk = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"]
    return gr.themes.Default(
        primary_hue="blue",
        font=[gr.themes.LocalFont("Source Sans Pro"), *cjk, "ui-sans-serif", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
    )


# -- rendering helpers (pure) ---------------------------------------------------------------


def esc(text: Any) -> str:
    """HTML-escape ``text`` and turn newlines into <br> (chat messages must have no raw newlines)."""
    return html.escape(str(text)).replace("\r", "").replace("\n", "<br>")


def trail_text(section: Iterable[str]) -> str:
    """A heading trail as one line: 三、… › 10.开展…"""
    return " › ".join(s.strip() for s in section if s and s.strip())


def describe_filters(filters: dict[str, Any] | None) -> str:
    """``Answer.filters`` as one readable line: "浙江省, 2022" (plus what the corpus lacks)."""
    if not filters:
        return ""
    parts = []
    for key in ("regions", "years", "levels", "doc_ids"):
        parts += [str(v) for v in filters.get(key) or []]
    text = ", ".join(parts)
    if filters.get("unavailable"):
        missing = ", ".join(str(v) for v in filters["unavailable"])
        text = (text + "; " if text else "") + f"not in corpus 文件库中没有: {missing}"
    return text


def _find_chunk(chunk_id: str, hits: list[Hit], qa: PolicyQA | None) -> tuple[Chunk | None, Document | None]:
    for hit in hits:
        if hit.chunk.chunk_id == chunk_id:
            return hit.chunk, hit.document
    if qa is not None and qa.engine is not None:
        index = qa.index
        for chunk in index.chunks:
            if chunk.chunk_id == chunk_id:
                return chunk, index.documents.get(chunk.doc_id)
    return None, None


def _marked(text: str, start: int, end: int, mark_start: int | None, mark_end: int | None) -> str:
    """``text[start:end]`` escaped, with ``[mark_start, mark_end)`` (absolute offsets) in <mark>."""
    if mark_start is None or mark_end is None or mark_end <= start or mark_start >= end:
        return esc(text[start:end])
    a, b = max(start, mark_start), min(end, mark_end)
    return esc(text[start:a]) + "<mark>" + esc(text[a:b]) + "</mark>" + esc(text[b:end])


def context_html(document: Document, chunk_start: int, chunk_end: int, mark: tuple[int, int] | None) -> str:
    """The passage in its document: ~CONTEXT_CHARS of text around it, passage shaded, quote marked."""
    text = document.text
    lo = max(0, chunk_start - CONTEXT_CHARS)
    lo = text.rfind("\n", 0, lo) + 1 if lo > 0 else 0
    hi = min(len(text), chunk_end + CONTEXT_CHARS)
    newline = text.find("\n", hi)
    hi = len(text) if newline == -1 else newline
    m_start, m_end = mark if mark else (None, None)
    before = esc(text[lo:chunk_start])
    inside = _marked(text, chunk_start, chunk_end, m_start, m_end)
    after = esc(text[chunk_end:hi])
    return (
        ("…" if lo > 0 else "")
        + before
        + f'<span class="pq-in">{inside}</span>'
        + after
        + ("…" if hi < len(text) else "")
    )


def _card(
    n: int,
    region: str,
    year: int | None,
    title: str,
    section: list[str],
    passage: str,
    context: str,
    span: str,
    near: bool = False,
) -> str:
    head = (
        f'<span class="pq-n">{n}</span><b>{esc(region or "—")}</b> · {esc(year or "—")} · 《{esc(title)}》'
        if title
        else f'<span class="pq-n">{n}</span><b>{esc(region or "—")}</b> · {esc(year or "—")}'
    )
    return (
        f'<div class="pq-card{" pq-near" if near else ""}">'
        f'<div class="pq-card-head">{head}</div>'
        f'<div class="pq-trail">{esc(trail_text(section)) or "（无章节 no section）"}</div>'
        f'<div class="pq-passage">{passage}</div>'
        f'<details class="pq-context"><summary>在原文中查看 Show in document '
        f'<span class="pq-span">{esc(span)}</span></summary>'
        f'<div class="pq-doc">{context}</div></details>'
        "</div>"
    )


def citation_card(citation: Citation, hits: list[Hit], qa: PolicyQA | None = None) -> str:
    """One numbered card: plan, region, year, section, the passage with the quote marked, context."""
    chunk, document = _find_chunk(citation.chunk_id, hits, qa)
    span = f"{citation.source}:{citation.start}-{citation.end}"
    if chunk is None or document is None or not document.text:
        passage = f"<mark>{esc(citation.quote)}</mark>"
        context = passage
    else:
        passage = _marked(document.text, chunk.start, chunk.end, citation.start, citation.end)
        context = context_html(document, chunk.start, chunk.end, (citation.start, citation.end))
    return _card(citation.n, citation.region, citation.year, citation.title, citation.section, passage, context, span)


def hit_card(hit: Hit, n: int, limit: int = 260) -> str:
    """A card for a nearest passage (abstentions): the passage start, full passage in context."""
    text = hit.chunk.text
    short = esc(text[:limit]) + ("…" if len(text) > limit else "")
    context = context_html(hit.document, hit.chunk.start, hit.chunk.end, None) if hit.document.text else esc(text)
    span = f"{hit.chunk.source}:{hit.chunk.start}-{hit.chunk.end} · score {hit.score:.2f}"
    return _card(
        n, hit.document.region, hit.document.year, hit.document.title, hit.chunk.section, short, context, span, True
    )


def _answer_text_html(text: str) -> str:
    return re.sub(r"\[(\d+)\]", r'<sup class="pq-ref">[\1]</sup>', esc(text.strip()))


def answer_html(answer: Answer, qa: PolicyQA | None = None) -> str:
    """The chat message for an answer: text with [n], applied filters, numbered citation cards.

    An abstention is a yellow box ("文件中没有明确答案 / No clear answer") followed by the
    nearest passages. The result is one line of HTML (no newlines), safe for the chat's
    Markdown renderer.
    """
    parts = []
    if answer.abstained:
        parts.append(
            f'<div class="pq-abstain"><div class="pq-abstain-title">{NO_ANSWER}</div>'
            f"<div>{_answer_text_html(answer.answer)}</div></div>"
        )
    else:
        parts.append(f'<div class="pq-answer">{_answer_text_html(answer.answer)}</div>')
    applied = describe_filters(answer.filters)
    if applied:
        parts.append(f'<div class="pq-applied">筛选 applied: <b>{esc(applied)}</b></div>')
    if answer.abstained:
        if answer.hits:
            parts.append('<div class="pq-section-title">最接近的段落 Nearest passages</div>')
            cards = "".join(hit_card(hit, i) for i, hit in enumerate(answer.hits[:5], start=1))
            parts.append(f'<div class="pq-cards">{cards}</div>')
    elif answer.citations:
        parts.append('<div class="pq-section-title">出处 Sources</div>')
        cards = "".join(citation_card(c, answer.hits, qa) for c in answer.citations)
        parts.append(f'<div class="pq-cards">{cards}</div>')
    return "".join(parts)


def citation_line(n: int, region: str, year: Any, title: str, section: list[str], quote: str) -> str:
    """One plain-text source line: [n] 地区 年份《标题》 章节 — “quote”."""
    head = f"[{n}] {region or '—'} {year or '—'}《{title}》"
    trail = trail_text(section)
    quote = " ".join(quote.split()) if quote.isascii() else quote.replace("\n", "")
    return f"{head} {trail} — “{quote}”" if trail else f"{head} — “{quote}”"


def answer_plain(answer: Answer, limit: int = 160) -> str:
    """The answer with its citations as plain text, ready to paste into a report."""
    if answer.abstained:
        lines = [f"{NO_ANSWER}: {answer.answer.strip()}"]
        if answer.hits:
            lines += ["", "最接近的段落 Nearest passages:"]
            for i, hit in enumerate(answer.hits[:5], start=1):
                text = hit.chunk.text.replace("\n", "")
                text = text[:limit] + ("…" if len(text) > limit else "")
                d = hit.document
                lines.append(citation_line(i, d.region, d.year, d.title, hit.chunk.section, text))
        return "\n".join(lines)
    lines = [answer.answer.strip()]
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            lines.append(citation_line(c.n, c.region, c.year, c.title, c.section, c.quote))
    return "\n".join(lines)


def outline_html(trails: list[list[str]]) -> str:
    """A plan's section tree as indented lines."""
    if not trails:
        return '<div class="pq-outline"><i>没有识别到章节 No numbered sections found</i></div>'
    rows = []
    for trail in trails:
        depth = len(trail) - 1
        rows.append(f'<div style="padding-left:{depth * 1.2:.1f}em">{esc(trail[-1].strip())}</div>')
    return '<div class="pq-outline">' + "".join(rows) + "</div>"


# -- the app ---------------------------------------------------------------------------------

DOC_HEADERS = [
    "标题 Title",
    "地区 Region",
    "级别 Level",
    "年份 Year",
    "发布机构 Issuer",
    "文号 Doc number",
    "发布日期 Published",
    "段落 Chunks",
    "文件 File",
]
COMPARE_HEADERS = [
    "地区 Region",
    "级别 Level",
    "年份 Year",
    "计划 Plan",
    "涉及 Found",
    "数值 Values",
    "原文 Quote",
    "章节 Section",
]
REF_HEADERS = ["名称 Name", "类型 Kind", "引用计划 Cited by", "次数 Count"]
EVAL_FAIL_HEADERS = [
    "id",
    "类型 Type",
    "语言 Lang",
    "问题 Question",
    "首个证据排名 First rank",
    "答案 Answer",
    "检索 Retrieved",
]


class App:
    """The handlers behind the page; one per server, shared by all browser sessions."""

    def __init__(self, qa: PolicyQA) -> None:
        self.qa = qa
        self.files_dir = Path(tempfile.mkdtemp(prefix="policyqa-app-"))
        self._upload_lock = threading.Lock()

    # -- shared views of the current index

    def documents(self) -> list[Document]:
        docs = list(self.qa.index.documents.values())
        return sorted(docs, key=lambda d: (d.year or 0, d.region, d.title), reverse=True)

    def region_choices(self) -> list[str]:
        names: list[str] = []
        for d in self.documents():
            for name in reversed(d.region_chain or [d.region]):
                if name and name not in names:
                    names.append(name)
        return names

    def year_choices(self) -> list[int]:
        return sorted({d.year for d in self.documents() if d.year}, reverse=True)

    def plan_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.region or '—'} {d.year or '—'}《{d.title}》", d.doc_id) for d in self.documents()]

    def documents_table(self) -> list[list[Any]]:
        counts = Counter(c.doc_id for c in self.qa.index.chunks)
        return [
            [
                d.title,
                d.region,
                d.level,
                d.year or "",
                d.issuer or "",
                d.doc_number or "",
                d.published or "",
                counts.get(d.doc_id, 0),
                d.source,
            ]
            for d in self.documents()
        ]

    def refresh(self) -> tuple:
        """Choices and tables that depend on the corpus: on page load and after an upload."""
        plans = self.plan_choices()
        return (
            gr.update(choices=self.region_choices()),
            gr.update(choices=self.year_choices()),
            gr.update(choices=plans),
            self.documents_table(),
            gr.update(choices=plans),
        )

    # -- ask

    def ask(
        self,
        message: str,
        history: list[dict] | None,
        regions: list[str] | None,
        years: list[Any] | None,
        plans: list[str] | None,
    ) -> tuple[list[dict], str, str, str]:
        """Chat turn: (history + question + answer card HTML, cleared input, plain-text copy, applied filters)."""
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            gr.Warning("请输入问题 Please type a question")
            return history, "", gr.skip(), gr.skip()
        filters = Filters(
            regions=[str(r) for r in regions or []],
            years=[int(y) for y in years or []],
            doc_ids=[str(p) for p in plans or []],
        )
        started = time.perf_counter()
        answer = self.qa.ask(question, filters if filters else None)
        log.info(
            "asked %r in %.0f ms (abstained=%s)", question, 1000 * (time.perf_counter() - started), answer.abstained
        )
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer_html(answer, self.qa)},
        ]
        applied = describe_filters(answer.filters)
        applied_md = f"**筛选 Applied:** {applied}" if applied else "**筛选 Applied:** 无 none (all plans)"
        return history, "", answer_plain(answer), applied_md

    # -- compare

    def compare(self, topic: str) -> tuple:
        """Topic → (status, table rows, CSV download, Markdown download, rows kept for click-through, cleared card)."""
        topic = (topic or "").strip()
        hidden = gr.update(visible=False)
        if not topic:
            return "请输入主题 Type a topic, e.g. 老年医学科, 家庭医生签约, 两癌筛查", [], hidden, hidden, [], ""
        result = self.qa.compare(topic)
        rows, kept = [], []
        for row in result.rows:
            kept.append(
                {
                    "doc_id": row.doc_id,
                    "found": row.found,
                    "region": row.region,
                    "year": row.year or "",
                    "title": row.title,
                    "section": list(row.section),
                    "quote": row.quote,
                    "source": row.source,
                    "start": row.start,
                    "end": row.end,
                }
            )
            rows.append(
                [
                    row.region,
                    row.level,
                    row.year or "",
                    row.title,
                    "✓" if row.found else "—",
                    "、".join(row.values),
                    row.quote,
                    trail_text(row.section),
                ]
            )
        stem = re.sub(r"[^\w\u4e00-\u9fff]+", "_", topic)[:40].strip("_") or "topic"
        folder = Path(tempfile.mkdtemp(prefix="compare-", dir=self.files_dir))
        csv_path = folder / f"compare-{stem}.csv"
        md_path = folder / f"compare-{stem}.md"
        csv_path.write_text(result.to_csv(), encoding="utf-8-sig")  # BOM: Excel opens Chinese correctly
        md_path.write_text(result.to_markdown(), encoding="utf-8")
        found = sum(1 for r in rows if r[4] == "✓")
        status = f"**{esc(topic)}**: {found} / {len(rows)} 个计划涉及 plans address it."
        return (
            status,
            rows,
            gr.update(value=str(csv_path), visible=True),
            gr.update(value=str(md_path), visible=True),
            kept,
            "",
        )

    def compare_context(self, kept: list[dict], evt: gr.SelectData) -> str:
        """The selected comparison row's quote, marked in its passage and openable in its document."""
        row = evt.index[0] if evt is not None and isinstance(evt.index, (list, tuple)) else None
        if not kept or not isinstance(row, int) or not 0 <= row < len(kept):
            return ""
        r = kept[row]
        if not r["found"]:
            return f'<div class="pq-notice">{esc(r["region"])} {esc(r["year"])}：未找到 not found in this plan.</div>'
        document = self.qa.index.documents.get(r["doc_id"])
        start, end = r["start"], r["end"]
        if document is None or not isinstance(start, int) or not isinstance(end, int):
            passage = context = f"<mark>{esc(r['quote'])}</mark>"
        else:
            chunk = next(
                (c for c in self.qa.index.chunks if c.doc_id == document.doc_id and c.start <= start < c.end), None
            )
            c_start, c_end = (chunk.start, chunk.end) if chunk else (start, end)
            passage = _marked(document.text, c_start, c_end, start, end)
            context = context_html(document, c_start, c_end, (start, end))
        span = f"{r['source']}:{start}-{end}"
        return (
            '<div class="pq-cards">'
            + _card(row + 1, r["region"], r["year"], r["title"], r["section"], passage, context, span)
            + "</div>"
        )

    # -- references

    def _section_at(self, doc_id: str, position: int) -> list[str]:
        """The heading trail of the chunk of ``doc_id`` that contains ``position``."""
        return self.qa.engine.crossdoc.section_at(doc_id, position)

    def _plan_label(self, doc_id: str) -> str:
        document = self.qa.index.documents.get(doc_id)
        return f"{document.region or document.title} {document.year or ''}".strip() if document else doc_id

    def references(self, query: str) -> tuple[str, list[list[Any]], list[dict], str]:
        """Search → (status, table rows, groups kept for click-through, cleared citations)."""
        query = (query or "").strip()
        documents = self.qa.index.documents
        kept, rows = [], []
        for group in self.qa.references(query or None):
            citations = []
            for c in group.citations:
                document = documents[c.doc_id]
                citations.append(
                    {
                        "doc_id": c.doc_id,
                        "region": document.region,
                        "year": document.year or "",
                        "title": document.title,
                        "section": self._section_at(c.doc_id, c.start),
                        "sentence": c.sentence,
                        "source": c.source,
                        "start": c.start,
                        "end": c.end,
                    }
                )
            plans = [self._plan_label(p) for p in group.plans]
            kept.append({"name": group.name, "citations": citations})
            rows.append([group.name, group.kind, "、".join(plans), group.count])
        what = f"“{esc(query)}”" if query else "全部 all"
        status = (
            f"{what}: {len(rows)} 项被引用的政策 cited policies. 点击一行查看引用原句 Click a row for its sentences."
        )
        return status, rows, kept, ""

    def reference_citations(self, groups: list[dict], evt: gr.SelectData) -> str:
        """The sentences citing the selected reference (name marked), each openable in its document."""
        if not groups or evt is None or evt.index is None:
            return ""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(row, int) or not 0 <= row < len(groups):
            return ""
        group = groups[row]
        cards = []
        for i, c in enumerate(group["citations"], start=1):
            document = self.qa.index.documents.get(c["doc_id"])
            start, end = c["start"], c["end"]
            spans = isinstance(start, int) and isinstance(end, int)
            if document is not None and document.text and spans and c["sentence"]:
                s_start = document.text.rfind(c["sentence"], 0, end) if c["sentence"] else -1
                if s_start < 0 or s_start + len(c["sentence"]) < start:
                    s_start = document.text.find(c["sentence"])
                if s_start >= 0:
                    s_end = s_start + len(c["sentence"])
                    passage = _marked(document.text, s_start, s_end, start, end)
                    context = context_html(document, s_start, s_end, (start, end))
                else:
                    passage = context = _highlight(esc(c["sentence"]), esc(group["name"]))
            else:
                passage = context = _highlight(esc(c["sentence"]), esc(group["name"]))
            span = f"{c['source']}:{start}-{end}"
            cards.append(_card(i, c["region"], c["year"], c["title"], c["section"], passage, context, span))
        name = esc(group["name"]).strip("《》")
        title = f'<div class="pq-section-title">{name} — {len(cards)} 处引用 citations</div>'
        return title + '<div class="pq-cards">' + "".join(cards) + "</div>"

    # -- documents

    def show_plan(self, doc_id: str | None) -> tuple[str, str, str]:
        """Plan id → (heading, outline HTML, full text)."""
        document = self.qa.index.documents.get(doc_id or "")
        if document is None:
            return "", PICK_PLAN, ""
        trails = self.qa.chunker().outline(document)
        heading = (
            f"### 《{document.title}》\n{document.region or '—'} · {document.year or '—'} · {document.source} · "
            f"{len(document.text)} 字 chars · {len(trails)} 个章节 sections\n\n**目录 Outline**"
        )
        return heading, outline_html(trails), document.text

    def select_plan(self, evt: gr.SelectData) -> str | None:
        """Clicking a row of the documents table selects that plan for viewing."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        docs = self.documents()
        return docs[row].doc_id if isinstance(row, int) and 0 <= row < len(docs) else None

    def upload(self, file: str | None, progress: gr.Progress = TRACK_TQDM) -> tuple:
        """Uploaded file → validated corpus file → incremental index build → refreshed views.

        Returns (status Markdown, *refresh outputs). A refused or failed upload leaves the
        corpus and index as they were.
        """
        if not file:
            return ("请先选择文件 Choose a file first.", *self.refresh())
        path = Path(file)
        with self._upload_lock:
            progress(0.05, desc="检查文件 Checking the file")
            try:
                target = ingest_upload(path, self.qa.settings.corpus_dir, path.name)
            except CorpusError as err:
                log.warning("upload refused: %s", err)
                return (f"**已拒绝 Refused:** {esc(err)}", *self.refresh())
            progress(0.15, desc="建立索引 Indexing")
            try:
                report = self.qa.build_index(progress=True)
            except Exception as err:  # any failure: undo the upload, keep the old index
                log.exception("indexing %s failed", target.name)
                target.unlink(missing_ok=True)
                return (
                    f"**索引失败 Indexing failed:** {esc(err)} — 文件已移除 the file was removed.",
                    *self.refresh(),
                )
            if target.name in report.skipped:
                reason = report.skipped[target.name]
                target.unlink(missing_ok=True)
                return (f"**已拒绝 Refused:** {esc(reason)}", *self.refresh())
        document = next((d for d in self.qa.index.documents.values() if d.source == target.name), None)
        chunks = sum(1 for c in self.qa.index.chunks if c.source == target.name)
        inferred = report.inferred.get(target.name, {})
        lines = [
            f"**已添加 Added:** `{target.name}` — {chunks} 段 chunks, 索引用时 indexed in {report.seconds:.1f} s; "
            "现在可以提问 searchable now.",
        ]
        if document is not None:
            lines.append(
                f"《{esc(document.title)}》 · 地区 region: {esc(document.region or '—')} · "
                f"年份 year: {document.year or '—'} · 级别 level: {document.level}"
            )
        if inferred:
            lines.append(
                "从正文推断 inferred from the text: "
                + ", ".join(f"{k}={v}" for k, v in inferred.items())
                + " — 如有误请在 corpus/manifest.json 中更正 (correct them in corpus/manifest.json)."
            )
        return ("\n\n".join(lines), *self.refresh())

    # -- evaluation

    def run_eval(self, gold_file: str | None, k: float | None, progress: gr.Progress = PROGRESS) -> tuple:
        """Gold set → (status, metrics rows, breakdown rows, chart path, failing rows, report download)."""
        path = Path(gold_file) if gold_file else DEFAULT_GOLD
        empty = ([], [], None, [], gr.update(visible=False))
        if not path.exists():
            return (f"找不到评测集 Gold file not found: `{path}` (upload a .jsonl)", *empty)
        try:
            questions = load_gold(path)
        except (GoldFileError, UnicodeDecodeError, OSError) as err:
            return (f"评测集无效 Invalid gold file: {esc(err)}", *empty)
        k = int(k or 5)
        qa = self.qa
        texts = {d.source: d.text for d in qa.index.documents.values()}
        done = [0]
        started = time.perf_counter()

        def ask(question: str) -> Answer:
            done[0] += 1
            progress(done[0] / len(questions), desc=f"评测 Evaluating {done[0]}/{len(questions)}")
            return qa.ask(question, k=k)

        progress(0, desc=f"评测 Evaluating 0/{len(questions)}")
        run = evaluate(questions, lambda q, depth: qa.search(q, depth), texts, k, ask=ask)
        seconds = time.perf_counter() - started
        folder = Path(tempfile.mkdtemp(prefix="eval-", dir=self.files_dir))
        markdown, chart = write_report(run, path.name, folder)
        summary = run.summary()
        metrics = [[key, round(v, 3) if isinstance(v, float) else v] for key, v in summary.items()]
        breakdown = []
        for group in ("type", "lang"):
            for name, values in run.breakdown(group).items():
                breakdown.append(
                    [
                        f"{group}: {name}",
                        values["questions"],
                        _round(values.get(f"hit@{k}")),
                        _round(values.get("mrr@10")),
                        _round(values.get("answer_accuracy")),
                        _round(values.get("abstention_recall")),
                    ]
                )
        failures = [
            [
                r.id,
                r.type,
                r.lang,
                r.question,
                r.first_rank or "—",
                " ".join(r.answer.split())[:240],
                "\n".join(r.retrieved),
            ]
            for r in run.failures()
        ]
        status = (
            f"**{esc(path.name)}**: {len(questions)} 个问题 questions in {seconds:.1f} s — "
            f"hit@{k} {summary.get(f'hit@{k}', 0):.3f} · MRR@10 {summary.get('mrr@10', 0):.3f} · "
            f"答案准确率 answer accuracy {summary.get('answer_accuracy', 0):.3f} · "
            f"{len(failures)} 个失败 failing"
        )
        return status, metrics, breakdown, str(chart), failures, gr.update(value=str(markdown), visible=True)


def _round(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else ("—" if value is None else value)


def _highlight(sentence_html: str, name_html: str) -> str:
    name = name_html.strip("《》")
    return sentence_html.replace(name, f"<mark>{name}</mark>", 1) if name and name in sentence_html else sentence_html


def build_app(qa: PolicyQA) -> gr.Blocks:
    """The Blocks app over ``qa`` (not launched). Launch it with :func:`launch_app`."""
    app = App(qa)
    with gr.Blocks(title="policyqa · 卫生健康工作计划问答") as demo:
        gr.Markdown(
            "# 卫生健康工作计划问答 policyqa\n"
            "答案均引自计划原文，并注明计划、地区、年份和章节。Answers are quoted from the plans, "
            "with plan, region, year and section for every sentence.",
            elem_id="pq-title",
        )
        with gr.Tabs(elem_id="pq-tabs"):
            # -- Ask
            with gr.Tab("提问 Ask", id="ask", elem_id="tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chatbot = gr.Chatbot(
                            label="对话 Chat",
                            elem_id="chat",
                            height=560,
                            buttons=[],  # messages are HTML cards: the copy box beside gives clean text
                            latex_delimiters=[],
                            feedback_options=None,
                            placeholder="用中文或英文提问 Ask in Chinese or English — 例如 e.g. "
                            "“浙江2022年老年医学科比例目标是多少”",
                        )
                        with gr.Row():
                            message = gr.Textbox(
                                show_label=False,
                                placeholder="输入问题 Ask a question",
                                elem_id="ask-input",
                                scale=5,
                                min_width=200,
                                lines=1,
                                max_lines=4,
                                submit_btn=False,
                            )
                            send = gr.Button("提问 Ask", variant="primary", elem_id="ask-send", scale=1, min_width=90)
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[message], label="示例问题 Examples")
                    with gr.Column(scale=1, min_width=260):
                        gr.Markdown(
                            "### 筛选 Filters\n不选则按问题中提到的地区、年份筛选。Leave empty to use the "
                            "regions and years the question names."
                        )
                        regions = gr.Dropdown(
                            choices=app.region_choices(),
                            multiselect=True,
                            label="地区 Region",
                            elem_id="filter-region",
                        )
                        years = gr.Dropdown(
                            choices=app.year_choices(), multiselect=True, label="年份 Year", elem_id="filter-year"
                        )
                        plans = gr.Dropdown(
                            choices=app.plan_choices(), multiselect=True, label="计划 Plan", elem_id="filter-plan"
                        )
                        applied = gr.Markdown("**筛选 Applied:** —", elem_id="applied")
                        copy_box = gr.Textbox(
                            label="复制答案（含出处） Copy answer with citations",
                            lines=8,
                            max_lines=16,
                            interactive=False,
                            buttons=["copy"],
                            elem_id="copy-box",
                        )
                        clear = gr.ClearButton([chatbot, copy_box, message], value="清空对话 Clear chat")
                ask_inputs = [message, chatbot, regions, years, plans]
                ask_outputs = [chatbot, message, copy_box, applied]
                send.click(app.ask, ask_inputs, ask_outputs, api_name="ask")
                message.submit(app.ask, ask_inputs, ask_outputs, api_name=False)
                clear.click(lambda: "**筛选 Applied:** —", None, applied, api_name=False)

            # -- Compare
            with gr.Tab("对比 Compare", id="compare", elem_id="tab-compare"):
                gr.Markdown(
                    "输入一个主题，查看每个计划的相关目标和原文；点击一行查看原文位置。"
                    "Type a topic to see what each plan says about it; click a row to see the quote in its plan."
                )
                with gr.Row():
                    topic = gr.Textbox(
                        show_label=False,
                        placeholder="主题 Topic, e.g. 老年医学科 / 家庭医生签约 / two cancers screening",
                        elem_id="compare-topic",
                        scale=5,
                        min_width=200,
                    )
                    compare_btn = gr.Button("对比 Compare", variant="primary", elem_id="compare-run", scale=1)
                compare_status = gr.Markdown("", elem_id="compare-status")
                compare_table = gr.Dataframe(
                    elem_classes=["pq-table"],
                    headers=COMPARE_HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    elem_id="compare-table",
                    column_widths=["9%", "7%", "6%", "16%", "6%", "12%", "30%", "14%"],
                    max_height=600,
                )
                with gr.Row():
                    csv_btn = gr.DownloadButton("下载 CSV", visible=False, elem_id="compare-csv", size="md")
                    md_btn = gr.DownloadButton("下载 Markdown", visible=False, elem_id="compare-md", size="md")
                compare_rows = gr.State([])
                compare_card = gr.HTML(elem_id="compare-card")
                compare_outputs = [compare_status, compare_table, csv_btn, md_btn, compare_rows, compare_card]
                compare_btn.click(app.compare, [topic], compare_outputs, api_name="compare")
                topic.submit(app.compare, [topic], compare_outputs, api_name=False)
                compare_table.select(app.compare_context, [compare_rows], [compare_card], api_name=False)

            # -- References
            with gr.Tab("引用 References", id="references", elem_id="tab-references"):
                gr.Markdown("计划中引用的政策文件、规划和法规。Policies, plans and laws the plans cite.")
                with gr.Row():
                    ref_query = gr.Textbox(
                        show_label=False,
                        placeholder="搜索 Search, e.g. 健康中国 / 十四五 / 条例（留空显示全部 empty = all）",
                        elem_id="ref-query",
                        scale=5,
                        min_width=200,
                    )
                    ref_btn = gr.Button("搜索 Search", variant="primary", elem_id="ref-run", scale=1)
                ref_status = gr.Markdown("", elem_id="ref-status")
                ref_table = gr.Dataframe(
                    elem_classes=["pq-table"],
                    headers=REF_HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    elem_id="ref-table",
                    max_height=420,
                    column_widths=["40%", "14%", "36%", "10%"],
                )
                ref_groups = gr.State([])
                ref_cites = gr.HTML(elem_id="ref-cites")
                ref_btn.click(
                    app.references, [ref_query], [ref_status, ref_table, ref_groups, ref_cites], api_name="references"
                )
                ref_query.submit(
                    app.references, [ref_query], [ref_status, ref_table, ref_groups, ref_cites], api_name=False
                )
                ref_table.select(app.reference_citations, [ref_groups], [ref_cites], api_name=False)

            # -- Documents
            with gr.Tab("文档 Documents", id="documents", elem_id="tab-documents"):
                docs_table = gr.Dataframe(
                    elem_classes=["pq-table"],
                    headers=DOC_HEADERS,
                    value=app.documents_table(),
                    interactive=False,
                    wrap=True,
                    elem_id="docs-table",
                    max_height=360,
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=280):
                        plan_pick = gr.Dropdown(
                            choices=app.plan_choices(),
                            label="查看计划 View a plan",
                            elem_id="doc-pick",
                            value=None,
                        )
                        plan_heading = gr.Markdown(elem_id="doc-heading")
                        plan_outline = gr.HTML(PICK_PLAN, elem_id="doc-outline")
                    with gr.Column(scale=3, min_width=280):
                        plan_text = gr.Textbox(
                            label="全文 Text", lines=22, max_lines=22, interactive=False, elem_id="doc-text"
                        )
                gr.Markdown(
                    "### 上传新计划 Add a plan\n"
                    ".txt（UTF-8 或 GBK/GB18030）、.md、.docx、带文字层的 .pdf — "
                    "保存为 UTF-8 文本并增量建立索引，无需重启。Saved as UTF-8 text and indexed incrementally; "
                    "searchable without a restart."
                )
                with gr.Row(equal_height=False):
                    upload_file = gr.File(
                        label="计划文件 Plan file (" + ", ".join(ACCEPTED_SUFFIXES) + ")",
                        file_count="single",
                        type="filepath",
                        elem_id="upload-file",
                        height=140,
                        min_width=260,
                    )
                    with gr.Column(min_width=260):
                        upload_btn = gr.Button("添加并建立索引 Add & index", variant="primary", elem_id="upload-run")
                        upload_status = gr.Markdown(elem_id="upload-status")
                plan_pick.change(app.show_plan, [plan_pick], [plan_heading, plan_outline, plan_text], api_name=False)
                docs_table.select(app.select_plan, None, [plan_pick], api_name=False)
                refresh_outputs = [regions, years, plans, docs_table, plan_pick]
                upload_btn.click(
                    app.upload,
                    [upload_file],
                    [upload_status, *refresh_outputs],
                    api_name="upload",
                    concurrency_limit=1,
                )

            # -- Evaluation
            with gr.Tab("评测 Evaluation", id="evaluation", elem_id="tab-evaluation"):
                gr.Markdown(
                    f"用评测集检验检索和回答质量（默认 `{DEFAULT_GOLD}`，也可上传 .jsonl）。"
                    "Score retrieval and answers on the gold set, or upload a .jsonl in the same format."
                )
                with gr.Row(equal_height=False):
                    gold_file = gr.File(
                        label="评测集 Gold file (.jsonl, optional)",
                        file_types=[".jsonl"],
                        type="filepath",
                        elem_id="eval-file",
                        height=120,
                        min_width=260,
                    )
                    with gr.Column(min_width=200):
                        eval_k = gr.Number(value=5, precision=0, minimum=1, maximum=30, label="k", elem_id="eval-k")
                        eval_btn = gr.Button("运行评测 Run evaluation", variant="primary", elem_id="eval-run")
                        report_btn = gr.DownloadButton("下载报告 Report (.md)", visible=False, elem_id="eval-report")
                eval_status = gr.Markdown(elem_id="eval-status")
                with gr.Row(equal_height=False):
                    metrics_table = gr.Dataframe(
                        elem_classes=["pq-table"],
                        headers=["指标 Metric", "值 Value"],
                        value=[],
                        interactive=False,
                        elem_id="eval-metrics",
                        min_width=260,
                    )
                    breakdown_table = gr.Dataframe(
                        elem_classes=["pq-table"],
                        headers=["组 Group", "n", "hit@k", "MRR@10", "answer acc.", "abstention recall"],
                        value=[],
                        interactive=False,
                        elem_id="eval-breakdown",
                        min_width=320,
                    )
                chart = gr.Image(
                    label="图表 Chart", type="filepath", interactive=False, elem_id="eval-chart", height=380
                )
                failures_table = gr.Dataframe(
                    elem_classes=["pq-table"],
                    headers=EVAL_FAIL_HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    label="未通过的问题 Failing questions (with what was retrieved)",
                    elem_id="eval-failures",
                    max_height=500,
                )
                eval_btn.click(
                    app.run_eval,
                    [gold_file, eval_k],
                    [eval_status, metrics_table, breakdown_table, chart, failures_table, report_btn],
                    api_name="evaluate",
                    concurrency_limit=1,
                )

        demo.load(app.refresh, None, refresh_outputs, api_name=False)
    demo.queue(default_concurrency_limit=8)
    return demo


def launch_app(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, prevent_thread_lock: bool = False, **kwargs: Any
) -> gr.Blocks:
    """Launch ``demo`` with the page's theme and CSS (Gradio 6 takes them at launch)."""
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        theme=theme(),
        css=CSS,
        **{"show_error": True, "quiet": True, **kwargs},
    )
    return demo


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Open the index (building it first if missing, with progress) and serve the page until interrupted."""
    started = time.perf_counter()
    log.info("loading the index from %s", settings.index_dir)
    qa = PolicyQA.open(settings, progress=True)
    demo = build_app(qa)
    log.info(
        "%d plans, %d passages ready in %.1f s; serving on http://%s:%d",
        len(qa.index.documents),
        len(qa.index.chunks),
        time.perf_counter() - started,
        host,
        port,
    )
    launch_app(demo, host, port, quiet=False)  # gradio prints the local URL


__all__ = ["App", "answer_html", "answer_plain", "build_app", "describe_filters", "launch_app", "serve"]
