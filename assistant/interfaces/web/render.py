"""Rendering the pipeline's records as HTML and plain text for the page (pure functions).

Every function here takes records (Answer, Citation, Hit, Document) and returns a
string, so it can be tested without a browser.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any

from ...index import PolicyIndex
from ...schema import Answer, Chunk, Citation, Document, Hit, Status

NO_ANSWER = "文件中没有明确答案 / No clear answer"
# Codes shown to people, in both languages.
LEVEL_LABELS = {
    "national": "全国 national", "ministry": "部委 ministry", "province": "省 province", "city": "市 city",
    "county": "县区 county", "unknown": "未知 unknown",
}  # fmt: skip
# What an original was read as (Document.kind), in the reader's words.
KIND_NAMES = {
    "text": "文本 text",
    "pdf": "PDF（文字层 text layer）",
    "scan": "扫描件 scanned PDF (OCR)",
    "mixed": "PDF（部分页 OCR some pages by OCR）",
    "docx": "Word 文档 .docx",
    "html": "网页 web page",
    "image": "页面图片 page image (OCR)",
}
KIND_LABELS = {"title": "文件 document", "doc_number": "文号 doc number", "programme": "项目 programme"}
_STATUS_TITLES = {
    "near_miss": "计划未给出所问内容 / Not in the plans as asked",
    "conflict": "筛选条件与问题矛盾 / The filters contradict the question",
    "unavailable": "文件库中没有这个计划 / No such plan in the documents",
}
CONTEXT_CHARS = 700  # document text shown after a cited passage
CONTEXT_BEFORE_CHARS = 160  # and before it: little, so that the highlight is in view when the box opens


def esc(text: Any) -> str:
    """HTML-escape ``text`` and turn newlines into <br> (chat messages must have no raw newlines)."""
    return html.escape(str(text)).replace("\r", "").replace("\n", "<br>")


def trail_text(section: Iterable[str]) -> str:
    """A heading trail as one line: 三、… › 10.开展…"""
    return " › ".join(s.strip() for s in section if s and s.strip())


def describe_filters(answer: Answer) -> str:
    """What an answer was restricted to, as one readable line: "浙江省, 2022" (plus what the corpus lacks)."""
    if answer.status == Status.CONFLICT:
        # Nothing was searched: the question's own places are not what was applied.
        return "无 none — 筛选条件与问题矛盾 the filters contradict the question"
    parts = []
    shown = answer.applied or answer.scope.filters()
    if shown:
        parts += [str(v) for key in ("regions", "years", "levels") for v in getattr(shown, key)]
        if not parts:
            parts += list(shown.doc_ids)
    text = ", ".join(dict.fromkeys(parts))
    if answer.scope.unavailable:
        missing = ", ".join(str(v) for v in answer.scope.unavailable)
        text = (text + "; " if text else "") + f"not in corpus 文件库中没有: {missing}"
    return text


def _find_chunk(chunk_id: str, hits: list[Hit], index: PolicyIndex | None) -> tuple[Chunk | None, Document | None]:
    for hit in hits:
        if hit.chunk.chunk_id == chunk_id:
            return hit.chunk, hit.document
    chunk = index.chunk(chunk_id) if index is not None else None
    return (chunk, index.documents.get(chunk.doc_id)) if chunk else (None, None)


def _marked(text: str, start: int, end: int, mark_start: int | None, mark_end: int | None) -> str:
    """``text[start:end]`` escaped, with ``[mark_start, mark_end)`` (absolute offsets) in <mark>."""
    if mark_start is None or mark_end is None or mark_end <= start or mark_start >= end:
        return esc(text[start:end])
    a, b = max(start, mark_start), min(end, mark_end)
    return esc(text[start:a]) + "<mark>" + esc(text[a:b]) + "</mark>" + esc(text[b:end])


def context_html(document: Document, chunk_start: int, chunk_end: int, mark: tuple[int, int] | None) -> str:
    """The passage in its document: ~CONTEXT_CHARS of text around it, passage shaded, quote marked."""
    text = document.text
    lo = max(0, chunk_start - CONTEXT_BEFORE_CHARS)
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
    sentence: str = "",
    gloss: str = "",
    caution: str = "",
    page: str = "",
    page_ref: str = "",
) -> str:
    head = (
        f'<span class="pq-n">{n}</span><b>{esc(region or "—")}</b> · {esc(year or "—")} · 《{esc(title)}》'
        if title
        else f'<span class="pq-n">{n}</span><b>{esc(region or "—")}</b> · {esc(year or "—")}'
    )
    if page:
        head += f' · <span class="pq-page">{esc(page)}</span>'
    return (
        f'<div class="pq-card{" pq-near" if near else ""}">'
        f'<div class="pq-card-head">{head}</div>'
        + (f'<div class="pq-caution">⚠ {esc(caution)}</div>' if caution else "")
        + f'<div class="pq-trail">{esc(trail_text(section)) or "（无章节 no section）"}</div>'
        + (
            # A citation shows its sentence; its passage and the document open on demand.
            f'<div class="pq-quote">“{esc(sentence)}”</div>'
            + (f'<div class="pq-gloss"><span>gloss（译注）</span> {esc(gloss)}</div>' if gloss else "")
            + f'<details class="pq-context"><summary>段落 Passage</summary><div class="pq-passage">{passage}</div>'
            "</details>"
            if sentence
            else f'<div class="pq-passage">{passage}</div>'
        )
        + f'<details class="pq-context"><summary>在原文中查看 Show in document '
        f'<span class="pq-span">{esc(span)}</span></summary>'
        f'<div class="pq-doc">{context}</div></details>' + page_ref + "</div>"
    )


def citation_card(citation: Citation, hits: list[Hit], index: PolicyIndex | None = None, near: bool = False) -> str:
    """One numbered card: plan, region, year, section, the passage with the quote marked, context."""
    chunk, document = _find_chunk(citation.chunk_id, hits, index)
    span = f"{citation.source}:{citation.start}-{citation.end}"
    if chunk is None or document is None or not document.text:
        passage = f"<mark>{esc(citation.quote)}</mark>"
        context = passage
    else:
        passage = _marked(document.text, chunk.start, chunk.end, citation.start, citation.end)
        context = context_html(document, chunk.start, chunk.end, (citation.start, citation.end))
    year = f"{citation.year}（回顾 reviewing {citation.about_year}）" if citation.about_year else citation.year
    page = citation.page_label()
    if page:
        span = f"{citation.source} · {page}"
    return _card(
        citation.n, citation.region, year, citation.title, citation.section, passage, context, span,
        near=near, sentence=citation.quote, gloss=citation.gloss, caution=citation.caution,
        page=page, page_ref=page_ref(citation) if citation.page else "",
    )  # fmt: skip


def page_ref(citation: Citation) -> str:
    """The hidden reference a card's "original page" button hands the page's script: which plan,
    page and span to show (the chat's sanitiser keeps no data attributes, so it travels as text)."""
    ref = json.dumps([citation.source, citation.page, citation.start, citation.end], ensure_ascii=False)
    return (
        f'<pre class="pq-pageref" hidden>{html.escape(ref, quote=True)}</pre>'
        '<button class="pq-show-page" type="button">查看原件页面 Show the page</button>'
    )


def hit_card(hit: Hit, n: int, limit: int = 260) -> str:
    """A card for a nearest passage (abstentions): the passage start, full passage in context."""
    text = hit.chunk.text
    short = esc(text[:limit]) + ("…" if len(text) > limit else "")
    context = context_html(hit.document, hit.chunk.start, hit.chunk.end, None) if hit.document.text else esc(text)
    span = f"{hit.chunk.source}:{hit.chunk.start}-{hit.chunk.end} · score {hit.score:.2f}"
    caution = "; ".join(hit.document.cautions())
    return _card(
        n, hit.document.region, hit.document.year, hit.document.title, hit.chunk.section, short, context, span, True,
        caution=caution,
    )  # fmt: skip


def _answer_text_html(text: str) -> str:
    return re.sub(r"\[(\d+)\]", r'<sup class="pq-ref">[\1]</sup>', esc(text.strip()))


def copy_button(plain: str) -> str:
    """A button that copies ``plain`` (the answer with its citations as text) to the clipboard.

    The text travels in a hidden ``<pre class="pq-plain">`` beside the button (the chat's
    sanitiser keeps no data attributes); the page's script copies it from there."""
    text = html.escape(plain, quote=True).replace("\r", "").replace("\n", "&#10;")
    return f'<pre class="pq-plain" hidden>{text}</pre><button class="pq-copy" type="button">复制 Copy</button>'


def answer_html(answer: Answer, index: PolicyIndex | None = None) -> str:
    """The chat message for an answer: text with [n], applied filters, numbered citation cards.

    An abstention is a yellow box ("文件中没有明确答案 / No clear answer") followed by the
    nearest passages. The result is one line of HTML (no newlines), safe for the chat's
    Markdown renderer.
    """
    parts = []
    status = answer.status.value
    if answer.abstained:
        title = _STATUS_TITLES.get(status, NO_ANSWER)
        parts.append(
            f'<div class="pq-abstain"><div class="pq-abstain-title">{title}</div>'
            f"<div>{_answer_text_html(answer.answer)}</div></div>"
        )
    else:
        parts.append(f'<div class="pq-answer">{_answer_text_html(answer.answer)}</div>')
    for note in answer.notes:
        if note and note not in answer.answer:  # notes the text does not already carry
            parts.append(f'<div class="pq-note">{esc(note)}</div>')
    if answer.confidence is not None and status == "answered":
        parts.append(f'<div class="pq-confidence">置信度 confidence {answer.confidence:.0%}</div>')
    answered_by = answerer_line(answer)
    if answered_by:
        parts.append(f'<div class="pq-answerer">{esc(answered_by)}</div>')
    applied = describe_filters(answer)
    if applied:
        parts.append(f'<div class="pq-applied">筛选 applied: <b>{esc(applied)}</b></div>')
    if status == "near_miss" and answer.citations:
        # The nearest statements, quoted and cited, but marked: they do not answer.
        parts.append('<div class="pq-section-title">最接近的表述（并非答案）Nearest statements, not an answer</div>')
        cards = "".join(citation_card(c, answer.hits, index, near=True) for c in answer.citations)
        parts.append(f'<div class="pq-cards">{cards}</div>')
    elif answer.abstained:
        if answer.hits:
            parts.append('<div class="pq-section-title">最接近的段落 Nearest passages</div>')
            cards = "".join(hit_card(hit, i) for i, hit in enumerate(answer.hits[:5], start=1))
            parts.append(f'<div class="pq-cards">{cards}</div>')
    elif answer.citations:
        parts.append('<div class="pq-section-title">出处 Sources</div>')
        cards = "".join(citation_card(c, answer.hits, index) for c in answer.citations)
        parts.append(f'<div class="pq-cards">{cards}</div>')
    parts.append(copy_button(answer_plain(answer)))  # every answer can be copied, not only the last
    return '<div class="pq-message">' + "".join(parts) + "</div>"


def answerer_line(answer: Answer) -> str:
    """Which answerer wrote the reply, and what the checks of a model's answer found ("" when
    the extractive answerer was the only one asked)."""
    grounding = answer.checks.get("grounding")
    if not grounding:
        return ""
    if answer.checks.get("answerer") == "llm":
        problems = len(grounding.get("violations", []))
        checks = len(grounding.get("checks", []))
        return (
            f"回答方式：模型，已逐句核对 Written by the language model ({grounding.get('model', '')}), "
            f"checked: {checks} checks, {problems} problem(s) removed"
        )
    if grounding.get("ran") or grounding.get("error"):
        return "回答方式：摘录（模型答案未采用）Quoted answer (the model's answer was not used)"
    return "回答方式：摘录 Quoted answer"


def checking_html(draft: str) -> str:
    """The chat message while a model's answer streams in: the draft, marked as being checked."""
    body = esc(draft).replace("\n", "<br>")
    return (
        '<div class="pq-checking">核对中… checking the model\'s answer against the plans…</div>'
        f'<div class="pq-draft">{body}</div>'
    )


def citation_line(n: int, region: str, year: Any, title: str, section: list[str], quote: str, caution: str = "") -> str:
    """One plain-text source line: [n] 地区 年份《标题》 章节 — “quote” (⚠ caution)."""
    head = f"[{n}] {region or '—'} {year or '—'}《{title}》"
    trail = trail_text(section)
    quote = " ".join(quote.split()) if quote.isascii() else quote.replace("\n", "")
    line = f"{head} {trail} — “{quote}”" if trail else f"{head} — “{quote}”"
    return f"{line} ⚠ {caution}" if caution else line


def answer_plain(answer: Answer, limit: int = 160) -> str:
    """The answer with its citations as plain text, ready to paste into a report."""
    if answer.abstained:
        lines = [f"{_STATUS_TITLES.get(answer.status.value, NO_ANSWER)}: {answer.answer.strip()}"]
        if answer.citations:  # a near miss: the nearest statements, cited
            lines += ["", "最接近的表述（并非答案）Nearest statements, not an answer:"]
            lines += [
                citation_line(c.n, c.region, c.year, c.title, c.section, c.quote, c.caution) for c in answer.citations
            ]
        elif answer.hits:
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
            lines.append(citation_line(c.n, c.region, c.year, c.title, c.section, c.quote, c.caution))
    return "\n".join(lines)


def outline_html(trails: list[list[str]]) -> str:
    """A plan's section tree as indented lines."""
    if not trails:
        return '<div class="pq-outline"><i>没有识别到章节 No numbered sections found</i></div>'
    rows = []
    for trail in trails:
        depth = len(trail) - 1
        rows.append(f'<div class="pq-depth-{min(depth, 5)}">{esc(trail[-1].strip())}</div>')
    return '<div class="pq-outline">' + "".join(rows) + "</div>"
