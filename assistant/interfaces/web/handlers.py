"""The handlers behind the page: one :class:`App` per server, shared by all browser sessions."""

from __future__ import annotations

import atexit
import html
import io
import json
import logging
import queue
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr

from ...ask.question import QuestionError
from ...corpus import CorpusError, set_provenance, update_manifest
from ...crossdoc.track import CHANGE_LABELS as CHANGE_STATUS
from ...crossdoc.track import STATUS_LABELS as TRACK_STATUS
from ...pipeline import PolicyQA
from ...schema import Answer, Document, Filters
from ...text import clean_text
from ..accounts import Accounts, AccountsError, AuditLog, local_user
from ..charts import track_chart
from ..evaluation import GoldFileError, load_gold, run_gold, write_report
from ..uploads import Uploads
from .render import (
    KIND_LABELS,
    KIND_NAMES,
    LEVEL_LABELS,
    _card,
    _marked,
    answer_html,
    answer_plain,
    checking_html,
    context_html,
    describe_filters,
    esc,
    outline_html,
    trail_text,
)
from .security import ServerGuard

log = logging.getLogger(__name__)

DEFAULT_GOLD = Path("eval/gold.jsonl")
METRIC_LABELS = {
    "questions": "问题数 Questions", "answerable": "可回答 Answerable", "hit@5": "前5命中 Hit@5",
    "hit@1": "首位命中 Hit@1", "evidence_recall@5": "证据召回@5 Evidence recall@5", "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10", "budget_recall@2000": "2000字内证据召回 Evidence in 2,000 chars",
    "answer_accuracy": "答案准确率 Answer accuracy", "false_abstention_rate": "误拒答率 False abstention",
    "unanswerable": "不可回答 Unanswerable", "abstention_recall": "不可回答未作答 Unanswerable declined",
    "abstention_precision": "拒答精确率 Abstention precision", "near_miss_marked": "标为近似 Near misses marked",
    "conflict_stated": "冲突已说明 Conflicts stated", "scope_noted": "范围已说明 Scope noted",
}  # fmt: skip
# Gradio shows a progress bar for a handler whose parameter defaults to a gr.Progress;
# TRACK_TQDM also follows the index builder's tqdm bars (embedding passages / sentences),
# which follow_builder shows in both languages.
PROGRESS = gr.Progress()
TRACK_TQDM = gr.Progress(track_tqdm=True)
INDEXING = "建立索引 Indexing"
# The index builder's tqdm descriptions (assistant/index/builder.py) as the upload's progress
# says them, with the part of the whole upload's bar each one fills.
BUILD_STAGES = {
    "embedding passages": ("向量化段落 Embedding passages", 0.20, 0.80),
    "embedding sentences": ("向量化句子 Embedding sentences", 0.80, 0.95),
}
PICK_PLAN = (
    '<div class="pq-outline"><i>选择一个计划（或点击上表中的一行）查看目录和全文。'
    "Pick a plan (or click a row above) to see its outline and text.</i></div>"
)


# The answerer choices of the Ask tab (the LLM one only when an endpoint is configured).
EXTRACTIVE_CHOICE = "摘录 Quoted"
LLM_CHOICE = "模型（逐句核对）Language model, checked"
EDITORS_ONLY = (
    "只有编辑可以修改文件库 Only editors can change the plans (upload, correct, confirm, delete); "
    "ask an administrator for the editor role."
)


def reading_progress(progress: gr.Progress):
    """The converter's page progress shown on the upload's bar (the first 15 %), in both languages."""

    def report(done: int, total: int, message: str) -> None:
        if total:
            progress(
                0.05 + 0.10 * done / total,
                desc=f"读取原件 Reading the original: 第{done}/{total}页 page {done}/{total}",
            )

    return report


def follow_builder(progress: gr.Progress) -> None:
    """Show the index builder's tqdm bars, which ``progress`` (this event's TRACK_TQDM tracker)
    follows, as the one line of the upload's bar: what is done, in both languages, and how much
    of it — "建立索引 Indexing · 向量化段落 Embedding passages 8/22（剩余 14 left）" (Gradio adds the
    percentage of the whole upload). Left alone, Gradio would show each bar's English
    description ("embedding passages - 0.0%") and restart the bar at 0 for each.

    Only bars without an iterable (the builder's: ``update(n)``) are translated; an iterated bar
    of some library keeps Gradio's own display. Outside an event nothing is changed."""
    if progress is TRACK_TQDM or progress._progress_callback() is None:
        return  # called directly (tests, scripts): no page to show progress on
    open_bar, step, close_bar = progress.tqdm, progress.update, progress.close
    bars: list[dict] = []  # the builder's open bars, innermost last

    def show(bar: dict) -> None:
        total, done = bar["total"] or 0, min(bar["done"], bar["total"] or bar["done"])
        share = done / total if total else 0.0
        count = f" {done}/{total}（剩余 {total - done} left）" if total else f" {done}"
        progress(bar["low"] + (bar["high"] - bar["low"]) * share, desc=f"{INDEXING} · {bar['label']}{count}")

    def tqdm(iterable=None, desc=None, total=None, unit="steps", _tqdm=None):
        if iterable is not None:
            return open_bar(iterable, desc, total, unit, _tqdm)
        label, low, high = BUILD_STAGES.get(desc or "", (desc or "", 0.20, 0.95))
        bars.append({"tqdm": _tqdm, "label": label, "low": low, "high": high, "total": total, "done": 0})
        show(bars[-1])
        return progress

    def update(n: float = 1) -> None:
        if not bars:
            return step(n)
        bars[-1]["done"] += n
        show(bars[-1])

    def close(_tqdm) -> None:
        bar = next((b for b in bars if b["tqdm"] is _tqdm), None)
        if bar is None:
            return close_bar(_tqdm)
        bars.remove(bar)
        progress(bar["high"], desc=f"{INDEXING} · 保存并载入新索引 Saving and loading the new index")

    progress.tqdm, progress.update, progress.close = tqdm, update, close


class App:
    """The handlers behind the page; one per server, shared by all browser sessions.

    With accounts (``users_file`` holds one), changes to the corpus need the editor role
    of the logged-in user; without, the page is one person's on this machine. Every change
    is written to the audit log in the index folder.
    """

    def __init__(self, qa: PolicyQA, users_file: Path | None = None, login_required: bool | None = None) -> None:
        self.qa = qa
        self.users_file = users_file
        # Decided once, when the server starts: a server that asked for logins never falls
        # back to "one person on this machine", whatever happens to the accounts file later.
        if login_required is None:
            login_required = users_file is not None and _has_accounts(users_file)
        self.login_required = login_required
        settings = qa.settings if users_file is None else replace(qa.settings, users_file=Path(users_file))
        self.guard = ServerGuard(settings, login_required)
        self.audit = AuditLog(qa.settings.index_dir)
        self.uploads = Uploads(qa, self.audit)
        self.uploads.recover()  # an upload a crash interrupted is finished or rolled back first
        self.files_dir = Path(tempfile.mkdtemp(prefix="policyqa-app-"))
        atexit.register(self.close)
        self._upload_lock = threading.Lock()

    def close(self) -> None:
        """Remove the page's temporary files (downloads, evaluation reports)."""
        shutil.rmtree(self.files_dir, ignore_errors=True)

    def accounts(self) -> Accounts | None:
        """The accounts as they are now, read on each use (a removed or demoted editor loses the
        role at once); None when the file is missing, unreadable or holds no account."""
        if self.users_file is None:
            return None
        try:
            accounts = Accounts(self.users_file)
        except AccountsError:
            log.exception("users file unreadable: nobody may change the plans")
            return None
        return accounts if accounts.enabled else None

    def user(self, request: gr.Request | None) -> tuple[str, bool]:
        """(who is asking, whether they may change the corpus).

        Without logins (a loopback server started without accounts) the person at this
        machine edits. With logins it fails closed: the request's account must exist and be
        an editor *now*; no accounts file, an unreadable or empty one makes nobody an editor.
        """
        if not self.login_required:
            return local_user(), True
        name = getattr(request, "username", None) or ""
        accounts = self.accounts()
        account = accounts.get(name) if accounts is not None else None
        return name or "anonymous", account is not None and account.is_editor

    def role_view(self, request: gr.Request | None = None) -> tuple:
        """On page load: who is logged in, the editing controls (editors only), the lockouts."""
        name, editor = self.user(request)
        who = f"**{esc(name)}** · {'编辑 editor' if editor else '读者 reader'}" if self.login_required else ""
        locks = self.lock_choices() if editor else []
        return (
            who,
            gr.update(visible=editor),
            gr.update(visible=editor),
            gr.update(visible=editor and self.login_required),
            gr.update(choices=locks, value=None),
        )

    # -- lockouts (editors lift them)

    def lock_choices(self) -> list[tuple[str, str]]:
        return [
            (f"{'账户 account' if lock['kind'] == 'account' else '地址 address'} {lock['name']} "
             f"({lock['seconds_left'] // 60 + 1} min)", f"{lock['kind']}:{lock['name']}")
            for lock in self.guard.logins.locks()
        ]  # fmt: skip

    def unlock(self, choice: str | None, request: gr.Request = None) -> tuple:
        """An editor lifts a login lockout (of an account or an address); audited."""
        user = self._editor(request)
        kind, _, name = (choice or "").partition(":")
        if kind not in ("account", "address") or not name:
            return "请选择要解锁的项 Pick a lockout to lift.", gr.update(choices=self.lock_choices(), value=None)
        self.guard.logins.unlock(**{"name" if kind == "account" else "address": name})
        self.audit.record(user, "unlock", "", **{kind: name})
        return f"**已解锁 Unlocked:** {esc(name)}", gr.update(choices=self.lock_choices(), value=None)

    def _editor(self, request: gr.Request | None) -> str:
        """The editor making a change; anyone else is refused before anything is touched."""
        name, editor = self.user(request)
        if not editor:
            log.warning("refused a change by %s (not an editor)", name)
            raise gr.Error(EDITORS_ONLY, print_exception=False)
        return name

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
                LEVEL_LABELS.get(d.level, d.level),
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
            gr.update(choices=plans),
            gr.update(choices=self.region_choices()),  # the Targets tab: region, the two plans
            gr.update(choices=plans),
            gr.update(choices=plans),
        )

    # -- ask

    def ask(
        self,
        message: str,
        conversation: list[dict] | None,
        regions: list[str] | None,
        years: list[Any] | None,
        plans: list[str] | None,
        previous: str | None = None,
        answerer: str | None = None,
    ) -> Iterator[tuple[list[dict], str, str, str, str, list[dict]]]:
        """Chat turn, streamed: (the chat's messages, cleared input, plain-text copy, applied
        filters, the question as understood — the next turn's ``previous`` —, the conversation).

        The conversation is the server's own record of this session (a ``gr.State``): the chat
        shown is rendered from it, never from a history a client sends, so a forged history
        cannot put markup into anyone's page. Every message is built from escaped text.

        A follow-up that names only a new region or year ("那常州呢？") asks the previous
        question's topic there; the answer says what it took over. With the LLM answerer
        the model's text streams in marked "checking…", and the checked answer replaces it.
        """
        history = [dict(m) for m in conversation or [] if isinstance(m, dict)]
        skip = (gr.skip(), gr.skip(), gr.skip())
        question = clean_text(message or "") if isinstance(message, str) else ""
        if not question:
            gr.Warning("请输入问题 Please type a question")
            yield history, "", *skip, history
            return
        try:
            filters = Filters(
                regions=[str(r) for r in regions or []],
                years=[int(y) for y in years or []],
                doc_ids=[str(p) for p in plans or []],
            )
        except (TypeError, ValueError):
            raise gr.Error("筛选条件无效 The filters are not valid.", print_exception=False) from None
        started = time.perf_counter()
        try:
            answer = self.qa.ask(
                question, filters if filters else None, previous=previous or None, answerer="extractive"
            )
        except QuestionError as err:  # a long paste stays in the box to be shortened
            gr.Warning(html.escape(str(err)))
            yield history, message, *skip, history
            return
        history.append({"role": "user", "content": f'<div class="pq-question">{esc(question)}</div>'})
        llm = self.qa.engine.llm
        if answerer == LLM_CHOICE and llm is not None:
            for draft in self._rewrite(llm, answer):
                if isinstance(draft, str):
                    shown = [*history, {"role": "assistant", "content": checking_html(draft)}]
                    yield shown, "", *skip, history
                else:
                    answer = draft
        log.info(
            "asked %r in %.0f ms (abstained=%s)", question, 1000 * (time.perf_counter() - started), answer.abstained
        )
        history.append({"role": "assistant", "content": answer_html(answer, self.qa.index)})
        applied = describe_filters(answer)
        applied_md = f"**筛选 Applied:** {esc(applied)}" if applied else "**筛选 Applied:** 无 none (all plans)"
        yield history, "", answer_plain(answer), applied_md, answer.query, history

    @staticmethod
    def _rewrite(llm, answer: Answer) -> Iterator[str | Answer]:
        """The model's draft as it grows (strings, at most ten a second), then the checked Answer."""
        pieces: queue.Queue[str | None] = queue.Queue()
        result: dict[str, Answer] = {}

        def work() -> None:
            try:
                result["answer"] = llm.rewrite(answer, on_token=pieces.put)
            except Exception:  # never an exception in the page: the quoted answer stands
                log.exception("LLM rewrite failed")
            finally:
                pieces.put(None)

        threading.Thread(target=work, daemon=True).start()
        draft, shown = "", 0.0
        while (piece := pieces.get()) is not None:
            draft += piece
            if time.monotonic() - shown > 0.1:
                shown = time.monotonic()
                yield draft
        yield result.get("answer", answer)

    # -- compare

    def compare(self, topic: str) -> tuple:
        """Topic → (status, table rows, CSV download, Markdown download, rows kept for click-through, cleared card)."""
        topic = (topic or "").strip()
        hidden = gr.update(visible=False)
        if not topic:
            return "请输入主题 Type a topic, e.g. 老年医学科, 家庭医生签约, 两癌筛查", [], hidden, hidden, [], ""
        try:
            result = self.qa.compare(topic)
        except (QuestionError, ValueError) as err:
            return f"{esc(err)}", [], hidden, hidden, [], ""
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
                    f"{row.region} ⚠ {row.caution}" if row.caution else row.region,
                    LEVEL_LABELS.get(row.level, row.level),
                    row.year or "",
                    row.title,
                    "✓" if row.found else "—",
                    "；".join(row.statements),
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
            chunk = self.qa.index.chunk_at(document.doc_id, start)
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

    # -- targets against results

    def track(self, topic: str, region: str | None) -> tuple:
        """Indicator (+ region) → (status, table rows, chart, CSV download, Markdown download)."""
        topic = (topic or "").strip()
        hidden = gr.update(visible=False)
        if not topic:
            return "请输入指标 Type an indicator, e.g. 地区生产总值, 城镇新增就业", [], hidden, hidden, hidden
        try:
            tracks = self.qa.track(topic, Filters(regions=[region]) if region else None)
        except ValueError as err:
            return esc(err), [], hidden, hidden, hidden
        if not tracks:
            return (f"**{esc(topic)}**：没有计划或报告给出该指标的数字 no plan or report states a figure for it.",
                    [], hidden, hidden, hidden)  # fmt: skip
        rows = []
        for track in tracks:
            for row in track.rows:
                rows.append([
                    track.region, row.year,
                    row.target.figures if row.target else "—",
                    row.result.figures if row.result else "—",
                    "；".join(p.difference for p in row.pairings),
                    TRACK_STATUS[row.status],
                    row.target.quote if row.target else "",
                    row.result.quote if row.result else row.note,
                ])  # fmt: skip
        stem = re.sub(r"[^\w\u4e00-\u9fff]+", "_", topic)[:40].strip("_") or "indicator"
        folder = Path(tempfile.mkdtemp(prefix="track-", dir=self.files_dir))
        csv_path, md_path = folder / f"track-{stem}.csv", folder / f"track-{stem}.md"
        csv_path.write_text("".join(t.to_csv() for t in tracks), encoding="utf-8-sig")
        md_path.write_text("\n".join(t.to_markdown() for t in tracks), encoding="utf-8")
        chart = track_chart(tracks[0], folder / f"track-{stem}.png")
        more = len(tracks) - 1
        shown = tracks[0].region + (f"（表中另有 {more} 个地区 {more} more regions in the table）" if more else "")
        years = sum(len(t.rows) for t in tracks)
        status = f"**{esc(topic)}**：{years} 个年度 year rows; 图 chart: {esc(shown)}"
        return (status, rows, gr.update(value=str(chart), visible=True),
                gr.update(value=str(csv_path), visible=True), gr.update(value=str(md_path), visible=True))  # fmt: skip

    def plan_changes(self, before: str | None, after: str | None) -> tuple:
        """Two plans → (status, table rows of new / dropped / raised / lowered targets)."""
        if not before or not after or before == after:
            return "请选择两个计划 Choose two different plans.", []
        try:
            changes = self.qa.changes(before, after)
        except ValueError as err:
            return esc(err), []
        rows = [
            [CHANGE_STATUS[c.change], c.subject, c.before_value, c.after_value,
             (c.after or c.before).quote if (c.after or c.before) else ""]
            for c in changes.changes
        ]  # fmt: skip
        counts = Counter(c.change for c in changes.changes)
        summary = "、".join(f"{CHANGE_STATUS[k]} {n}" for k, n in counts.items())
        return f"**{esc(self._plan_label(before))} → {esc(self._plan_label(after))}**：{esc(summary)}", rows

    def _section_at(self, doc_id: str, position: int) -> list[str]:
        """The heading trail of the chunk of ``doc_id`` that contains ``position``."""
        chunk = self.qa.index.chunk_at(doc_id, position)
        return list(chunk.section) if chunk else []

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
            rows.append([group.name, KIND_LABELS.get(group.kind, group.kind), "、".join(plans), group.count])
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
            f"### 《{esc(document.title)}》\n{esc(document.region or '—')} · {esc(document.year or '—')} · "
            f"{esc(document.source)} · {len(document.text)} 字 chars · {len(trails)} 个章节 sections\n\n"
            "**目录 Outline**"
        )
        return heading, outline_html(trails), document.text

    def show_page(self, ref: str, request: gr.Request = None) -> tuple:
        """A citation's "show the page": its reference (from the card) → (page image, caption).

        The reference names a plan of the index, a page and the quote's span; anything else (a
        forged or stale reference) gets a caption saying so and no image. Only files of the corpus
        that the index holds are ever opened.
        """
        self.user(request)
        try:
            source, page, start, end = json.loads(ref or "null")
            if not (isinstance(source, str) and all(isinstance(v, int) and v >= 0 for v in (page, start, end))):
                raise ValueError
        except (ValueError, TypeError):
            return None, "无效的页面引用 Not a page reference."
        document = next((d for d in self.qa.index.documents.values() if d.source == source), None)
        if document is None or not document.pages:
            return None, f"没有可显示的原件页面 No page to show for {esc(source)}."
        try:
            png = self.qa.originals().page_png(Path(self.qa.settings.corpus_dir) / document.source, page, start, end)
        except CorpusError as err:
            log.warning("page image refused: %s", err)
            return None, f"无法显示该页 The page cannot be shown: {esc(err)}"
        from PIL import Image

        image = Image.open(io.BytesIO(png))
        image.load()
        caption = f"《{esc(document.title)}》 第{page}页 p. {page} — 红框为引用的行 the cited lines are boxed in red"
        return image, caption

    def select_plan(self, evt: gr.SelectData) -> str | None:
        """Clicking a row of the documents table selects that plan for viewing."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        docs = self.documents()
        return docs[row].doc_id if isinstance(row, int) and 0 <= row < len(docs) else None

    def upload(self, file: str | None, request: gr.Request = None, progress: gr.Progress = TRACK_TQDM) -> tuple:
        """Uploaded file → validated corpus file → incremental index build → refreshed views.

        Returns (status Markdown, *refresh outputs). A refused or failed upload leaves the
        corpus and index as they were. The plan records who added it and stays marked as an
        unconfirmed upload until an editor confirms it.
        """
        user = self._editor(request)  # before anything is touched: a reader's request changes nothing
        path = Path(file) if isinstance(file, str) and file else None
        if path is None:
            return ("请先选择文件 Choose a file first.", *self.refresh())
        try:
            return self._upload(path, user, progress)
        finally:
            # Gradio's copy of the upload is ours to remove once used, and only that copy.
            if _in_upload_cache(path):
                path.unlink(missing_ok=True)

    def _upload(self, path: Path, user: str, progress: gr.Progress) -> tuple:
        # Reading and checking the file needs no lock: a slow file never holds up other uploads.
        progress(0.05, desc="检查并转换文件 Checking and converting the file")
        try:
            prepared = self.uploads.prepare(path, path.name, reading_progress(progress))
        except CorpusError as err:
            log.warning("upload refused: %s", err)
            return (f"**已拒绝 Refused:** {esc(err)}", *self.refresh())
        except Exception:  # a reader library's own failure: one line, the detail in the log
            log.exception("reading the upload %s failed", path.name)
            return (
                "**已拒绝 Refused:** 无法读取该文件 the file cannot be read as a plan (see the server log).",
                *self.refresh(),
            )
        with self._upload_lock:
            progress(0.15, desc=f"{INDEXING} · 切分段落 Chunking the plan into passages")
            follow_builder(progress)
            try:
                added = self.uploads.add(prepared, user, progress=True)
            except CorpusError as err:
                log.warning("upload refused: %s", err)
                return (f"**已拒绝 Refused:** {esc(err)}", *self.refresh())
            except Exception as err:  # any failure: the upload was rolled back, the old index kept
                log.exception("indexing %s failed", prepared.target.name)
                return (  # the reason is in the server's log; no exception text goes to a client
                    f"**索引失败 Indexing failed** ({type(err).__name__}) — 文件已移除 the file was removed.",
                    *self.refresh(),
                )
        target, report, document, chunks = added.target, added.report, added.document, added.chunks
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
            if document.kind != "text":
                pages = f" · {len(document.pages)} 页 pages" if document.pages else ""
                lines.append(f"读作 read as: {KIND_NAMES.get(document.kind, document.kind)}{pages}")
        if document is not None and document.same_scope:
            lines.append(
                f"**⚠ 注意 Note:** {esc(', '.join(document.same_scope))} 已是{esc(document.region)}"
                f"{document.year}年的计划 already covers this region and year — 引用本文件的回答都会标出 "
                "every answer quoting this file says so until the metadata is corrected or the plan confirmed."
            )
        lines.append(
            "本文件标为“未经确认的上传”，直至编辑在下方确认。Marked as an unconfirmed upload in every answer "
            "until an editor confirms it below."
        )
        if inferred:
            lines.append(
                "从正文推断 inferred from the text: "
                + ", ".join(f"{esc(k)}={esc(v)}" for k, v in inferred.items())
                + " — 如有误请在下方“更正”中修改 (correct them below, under Correct)."
            )
        return ("\n\n".join(lines), *self.refresh())

    def correct(self, doc_id: str | None, field: str | None, value: str | None, request: gr.Request = None) -> tuple:
        """Correct one metadata field of a plan: written to corpus/manifest.json, index updated.

        Returns (status Markdown, *refresh outputs). An empty value removes the correction
        (the field is inferred from the text again).
        """
        user = self._editor(request)
        document = self.qa.index.documents.get(doc_id or "")
        if document is None or not field:
            return ("请选择计划和字段 Pick a plan and a field.", *self.refresh())
        text = (value or "").strip()
        new: object = text or None
        if field == "year" and text:
            if not text.isdigit():
                return (f"**年份应为数字 The year must be a number:** {esc(text)}", *self.refresh())
            new = int(text)
        with self._upload_lock:
            try:
                update_manifest(self.qa.settings.corpus_dir, document.source, {field: new})
                self.qa.build_index(progress=False)
            except CorpusError as err:
                return (f"**未能更正 Not corrected:** {esc(err)}", *self.refresh())
        self.audit.record(user, "correct", document.source, field=field, value=new, was=getattr(document, field, None))
        log.info("metadata of %s corrected by %s: %s=%r", document.source, user, field, new)
        shown = new if new is not None else "（从正文推断 inferred again）"
        return (f"**已更正 Corrected:** `{esc(document.source)}` {esc(field)} = {esc(shown)}", *self.refresh())

    def confirm(self, doc_id: str | None, request: gr.Request = None) -> tuple:
        """An editor vouches for an uploaded plan: answers stop marking it as unconfirmed."""
        user = self._editor(request)
        document = self.qa.index.documents.get(doc_id or "")
        if document is None:
            return ("请选择计划 Pick a plan.", *self.refresh())
        if document.confirmed:
            return (f"`{document.source}` 无需确认 needs no confirmation.", *self.refresh())
        with self._upload_lock:
            try:
                set_provenance(
                    self.qa.settings.corpus_dir, document.source, confirmed=True, confirmed_by=user,
                    confirmed_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                )  # fmt: skip
                self.qa.build_index(progress=False)
            except CorpusError as err:
                return (f"**未能确认 Not confirmed:** {esc(err)}", *self.refresh())
        self.audit.record(user, "confirm", document.source)
        return (f"**已确认 Confirmed:** `{document.source}`", *self.refresh())

    def delete(self, doc_id: str | None, confirmed: bool, request: gr.Request = None) -> tuple:
        """Move a plan out of the corpus (after confirmation) into ``corpus/.deleted/``, so a
        mistake can be undone by moving it back; the index follows."""
        user = self._editor(request)
        document = self.qa.index.documents.get(doc_id or "")
        if document is None:
            return ("请选择要删除的计划 Pick the plan to delete.", *self.refresh())
        if not confirmed:
            return ("请先勾选确认 Tick the confirmation first.", *self.refresh())
        if len(self.qa.index.documents) == 1:
            return ("不能删除最后一个计划 The last plan cannot be deleted.", *self.refresh())
        path = self.qa.settings.corpus_dir / document.source
        kept = self.qa.settings.corpus_dir / ".deleted" / f"{time.strftime('%Y%m%dT%H%M%S')}-{document.source}"
        with self._upload_lock:
            try:
                kept.parent.mkdir(exist_ok=True)
                path.replace(kept)
                self.qa.build_index(progress=False)
            except (OSError, CorpusError) as err:
                log.exception("deleting %s failed", document.source)
                if kept.exists() and not path.exists():
                    kept.replace(path)
                return (f"**未能删除 Not deleted** ({type(err).__name__})", *self.refresh())
        self.audit.record(user, "delete", document.source, kept=str(kept.relative_to(self.qa.settings.corpus_dir)))
        log.info("plan %s deleted by %s", document.source, user)
        return (f"**已删除 Deleted:** `{document.source}` — 索引已更新 the index follows.", *self.refresh())

    # -- evaluation

    def run_eval(self, gold_file: str | None, k: float | None, progress: gr.Progress = PROGRESS) -> tuple:
        """Gold set → (status, metrics rows, breakdown rows, chart path, failing rows, report download)."""
        path = Path(gold_file) if gold_file else DEFAULT_GOLD
        empty = ([], [], None, [], gr.update(visible=False))
        if not path.exists():
            return (f"找不到评测集 Gold file not found: `{path.name}` (upload a .jsonl)", *empty)
        try:
            questions = load_gold(path)
        except (GoldFileError, UnicodeDecodeError, OSError) as err:
            shown = str(err).replace(str(path.parent) + "/", "")  # no server paths to the client
            return (f"评测集无效 Invalid gold file: {esc(shown)}", *empty)
        k = int(k or 5)
        started = time.perf_counter()

        def step(done: int, total: int) -> None:
            progress(done / total, desc=f"评测 Evaluating {done}/{total}")

        progress(0, desc=f"评测 Evaluating 0/{len(questions)}")
        run = run_gold(self.qa, questions, k, progress=step)
        seconds = time.perf_counter() - started
        folder = Path(tempfile.mkdtemp(prefix="eval-", dir=self.files_dir))
        markdown, chart = write_report(run, path.name, folder)
        summary = run.summary()
        metrics = [
            [METRIC_LABELS.get(key, key), round(v, 3) if isinstance(v, float) else v] for key, v in summary.items()
        ]
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


def _has_accounts(users_file: Path) -> bool:
    try:
        return Accounts(users_file).enabled
    except AccountsError:
        return True  # a damaged file was meant to hold accounts: logins stay required


def _in_upload_cache(path: Path) -> bool:
    """True for a file inside Gradio's upload cache (the only files an upload may remove)."""
    from gradio.utils import get_upload_folder

    try:
        return path.resolve().is_relative_to(Path(get_upload_folder()).resolve())
    except (OSError, ValueError):
        return False
