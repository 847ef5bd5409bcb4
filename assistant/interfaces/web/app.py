"""The staff chat page (``policyqa serve``): the Gradio layout over one :class:`PolicyQA`.

Tabs: 提问 Ask (chat with cited answers, filters, copyable text), 对比 Compare (one topic
across all plans, CSV/Markdown download), 引用 References (policies the plans cite),
文档 Documents (corpus metadata, outlines, text, upload of a new plan) and 评测 Evaluation
(the gold set with metrics, chart and failing questions).

The page is split by role: this module lays it out and serves it; ``handlers`` answers
its events; ``render`` turns records into HTML; ``style.css`` is its stylesheet.

``build_app(qa)`` returns the Blocks (tests launch it on a free port with
``launch_app(demo, port=..., prevent_thread_lock=True)``); ``serve(settings, host, port)``
opens the index (building it if missing) and serves until interrupted.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no outside calls

import logging
import signal
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from ...config import Settings
from ...corpus import EDITABLE_FIELDS
from ...corpus.ingest import ACCEPTED_SUFFIXES
from ...pipeline import PolicyQA
from ..accounts import Accounts, AccountsError, is_loopback
from .api import PolicyQAApi, guarded, register
from .handlers import DEFAULT_GOLD, EXTRACTIVE_CHOICE, LLM_CHOICE, PICK_PLAN, App
from .security import SecurityMiddleware, static_folder

log = logging.getLogger(__name__)

EXAMPLES = [
    "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少",
    "What are the elderly-care targets in Zhejiang 2022?",
    "遂宁2022年为多少农村妇女开展两癌筛查",
    "How many rural women will Suining screen for the two cancers in 2022?",
    "东海县医养结合机构建设有什么安排",
    "杭州2023年老年医学科比例",
]
# Column headers of the page's tables, in both languages.
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
TRACK_HEADERS = [
    "地区 Region", "年份 Year", "目标 Target", "结果 Result", "差值 Difference", "状态 Status", "目标原文 Target quote",
    "结果原文 Result quote",
]  # fmt: skip
CHANGES_HEADERS = ["变化 Change", "指标 Indicator", "之前 Before", "之后 After", "原文 Quote"]
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


FIELD_LABELS = {
    "title": "标题 Title", "region": "地区 Region", "level": "级别 Level", "year": "年份 Year",
    "issuer": "发布机构 Issuer", "doc_number": "文号 Doc number", "published": "发布日期 Published",
    "region_en": "英文地名 English region name",
}  # fmt: skip


def html_box(value: str = "", elem_id: str = "") -> gr.Markdown:
    """A box for the HTML that render.py builds (cards, outlines). A Markdown component, not
    gr.HTML: Gradio 6's HTML component evaluates its template with ``Function``, which the
    page's Content-Security-Policy forbids; Markdown renders the same HTML through Gradio's
    sanitiser, a second wall behind our escaping."""
    return gr.Markdown(value, elem_id=elem_id, sanitize_html=True, latex_delimiters=[], min_height=0)


def ui_event(name: str) -> dict[str, str]:
    """Keyword arguments of a page event: out of the API listing, under a name of its own
    (the API's /ask, /search … are the named endpoints of api.py)."""
    return {"api_name": f"ui_{name}", "api_visibility": "undocumented"}


CSS = (resources.files("assistant") / "interfaces" / "web" / "style.css").read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """A theme with local fonts only (no web-font downloads) and CJK fallbacks."""
    cjk = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"]
    return gr.themes.Default(
        primary_hue="blue",
        font=[gr.themes.LocalFont("Source Sans Pro"), *cjk, "ui-sans-serif", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
    )


def build_app(qa: PolicyQA, users_file: Path | None = None, login_required: bool | None = None) -> gr.Blocks:
    """The Blocks app over ``qa`` (not launched). Launch it with :func:`launch_app`.

    With ``users_file`` holding accounts (or ``login_required``), changing the corpus needs the
    editor role and :func:`launch_app` asks everyone to log in."""
    app = App(qa, users_file, login_required)
    settings = app.guard.settings
    # Gradio's upload cache is emptied of files older than upload_cache_seconds, every tenth of that.
    age = int(settings.upload_cache_seconds)
    with gr.Blocks(title="policyqa · 卫生健康工作计划问答", delete_cache=(max(60, age // 10), age)) as demo:
        with gr.Row():
            gr.Markdown(
                "# 卫生健康工作计划问答 policyqa\n"
                "答案均引自计划原文，并注明计划、地区、年份和章节。Answers are quoted from the plans, "
                "with plan, region, year and section for every sentence.",
                elem_id="pq-title",
            )
            who = gr.Markdown(elem_id="pq-who", min_height=0)
        with gr.Tabs(elem_id="pq-tabs"):
            # -- Ask
            with gr.Tab("提问 Ask", id="ask", elem_id="tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chatbot = gr.Chatbot(
                            label="对话 Chat",
                            autoscroll=False,  # KEEP_ANSWER_IN_VIEW shows a new answer from its top
                            elem_id="chat",
                            height=560,
                            buttons=[],  # messages are HTML cards: each has its own copy button (clean text)
                            # Messages are built from escaped text by render.py, from the server's
                            # own record of the conversation; Gradio's sanitiser is a second wall.
                            sanitize_html=True,
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
                        llm_ready = qa.engine.llm is not None
                        answerer = gr.Radio(
                            choices=[EXTRACTIVE_CHOICE, LLM_CHOICE],
                            value=LLM_CHOICE if llm_ready and qa.settings.answerer == "llm" else EXTRACTIVE_CHOICE,
                            label="回答方式 Answers",
                            info=f"模型 model: {qa.settings.llm_model}（每个数字和出处均经核对 every figure and "
                            "citation is checked）"
                            if llm_ready
                            else None,
                            visible=llm_ready,  # no endpoint configured: quoted answers only
                            elem_id="answerer",
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
                        # A plain button cleared on the server: gr.ClearButton clears in the browser
                        # with a generated script, which the page's Content-Security-Policy forbids.
                        clear = gr.Button("清空对话 Clear chat", elem_id="chat-clear")
                        # "Show the page" of a citation from a PDF or scan: the card's button hands
                        # its reference to these two (hidden by CSS, not by Gradio, so they exist in
                        # the page for policyqa.js) and the server renders the page with boxes.
                        page_ref = gr.Textbox(elem_id="page-ref", elem_classes=["pq-hidden"], show_label=False)
                        page_go = gr.Button("page", elem_id="page-go", elem_classes=["pq-hidden"])
                        page_caption = gr.Markdown(elem_id="page-caption")
                        page_image = gr.Image(
                            label="原件页面 Original page", type="pil", interactive=False, elem_id="page-image",
                            buttons=["fullscreen"], height=420,
                        )  # fmt: skip
                        page_go.click(guarded(app.show_page), [page_ref], [page_image, page_caption], **ui_event("31"))
                last_question = gr.State("")  # the conversation's previous question, for follow-ups
                # The server's record of the conversation; the chat is only ever its rendering
                # (never an input: a client cannot hand the server a history to show).
                conversation = gr.State([])
                ask_inputs = [message, conversation, regions, years, plans, last_question, answerer]
                ask_outputs = [chatbot, message, copy_box, applied, last_question, conversation]
                send.click(guarded(app.ask), ask_inputs, ask_outputs, **ui_event("1"))
                message.submit(guarded(app.ask), ask_inputs, ask_outputs, **ui_event("2"))
                clear.click(
                    lambda: ([], "", "", "**筛选 Applied:** —", "", []),
                    None,
                    [chatbot, copy_box, message, applied, last_question, conversation],
                    **ui_event("3"),
                )

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
                compare_card = html_box(elem_id="compare-card")
                compare_outputs = [compare_status, compare_table, csv_btn, md_btn, compare_rows, compare_card]
                compare_btn.click(guarded(app.compare), [topic], compare_outputs, **ui_event("4"))
                topic.submit(guarded(app.compare), [topic], compare_outputs, **ui_event("5"))
                compare_table.select(guarded(app.compare_context), [compare_rows], [compare_card], **ui_event("6"))

            # -- Targets against results
            with gr.Tab("目标与结果 Targets", id="track", elem_id="tab-track"):
                gr.Markdown(
                    "输入一个指标，查看各年计划的目标与次年报告（或当年总结）的实际结果。"
                    "Type an indicator to see each year's target beside the result a later report gives."
                )
                with gr.Row():
                    indicator = gr.Textbox(
                        show_label=False,
                        placeholder="指标 Indicator, e.g. 地区生产总值 / 城镇新增就业 / GDP",
                        elem_id="track-topic",
                        scale=4,
                        min_width=200,
                    )
                    track_region = gr.Dropdown(
                        choices=app.region_choices(), value=None, label="地区 Region", elem_id="track-region",
                        scale=2, allow_custom_value=False,
                    )  # fmt: skip
                    track_btn = gr.Button("查看 Track", variant="primary", elem_id="track-run", scale=1)
                track_status = gr.Markdown("", elem_id="track-status")
                track_table = gr.Dataframe(
                    elem_classes=["pq-table"],
                    headers=TRACK_HEADERS,
                    value=[],
                    interactive=False,
                    wrap=True,
                    elem_id="track-table",
                    column_widths=["8%", "6%", "11%", "11%", "12%", "10%", "21%", "21%"],
                    max_height=500,
                )
                track_chart_image = gr.Image(
                    type="filepath", visible=False, show_label=False, elem_id="track-chart", interactive=False
                )
                with gr.Row():
                    track_csv = gr.DownloadButton("下载 CSV", visible=False, elem_id="track-csv", size="md")
                    track_md = gr.DownloadButton("下载 Markdown", visible=False, elem_id="track-md", size="md")
                track_outputs = [track_status, track_table, track_chart_image, track_csv, track_md]
                track_btn.click(guarded(app.track), [indicator, track_region], track_outputs, **ui_event("40"))
                indicator.submit(guarded(app.track), [indicator, track_region], track_outputs, **ui_event("41"))
                gr.Markdown("#### 两个计划的目标变化 What changed between two plans")
                with gr.Row():
                    before_plan = gr.Dropdown(choices=app.plan_choices(), value=None, label="之前 Earlier plan",
                                              elem_id="changes-before", scale=3)  # fmt: skip
                    after_plan = gr.Dropdown(choices=app.plan_choices(), value=None, label="之后 Later plan",
                                             elem_id="changes-after", scale=3)  # fmt: skip
                    changes_btn = gr.Button("比较 Compare targets", elem_id="changes-run", scale=1)
                changes_status = gr.Markdown("", elem_id="changes-status")
                changes_table = gr.Dataframe(
                    elem_classes=["pq-table"], headers=CHANGES_HEADERS, value=[], interactive=False, wrap=True,
                    elem_id="changes-table", column_widths=["12%", "22%", "16%", "16%", "34%"], max_height=500,
                )  # fmt: skip
                changes_btn.click(
                    guarded(app.plan_changes), [before_plan, after_plan], [changes_status, changes_table],
                    **ui_event("42"),
                )  # fmt: skip

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
                ref_cites = html_box(elem_id="ref-cites")
                ref_btn.click(
                    guarded(app.references),
                    [ref_query],
                    [ref_status, ref_table, ref_groups, ref_cites],
                    **ui_event("7"),
                )
                ref_query.submit(
                    guarded(app.references),
                    [ref_query],
                    [ref_status, ref_table, ref_groups, ref_cites],
                    **ui_event("8"),
                )
                ref_table.select(guarded(app.reference_citations), [ref_groups], [ref_cites], **ui_event("9"))

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
                        plan_outline = html_box(PICK_PLAN, elem_id="doc-outline")
                    with gr.Column(scale=3, min_width=280):
                        plan_text = gr.Textbox(
                            label="全文 Text", lines=22, max_lines=22, interactive=False, elem_id="doc-text"
                        )
                plan_pick.change(
                    guarded(app.show_plan), [plan_pick], [plan_heading, plan_outline, plan_text], **ui_event("10")
                )
                docs_table.select(guarded(app.select_plan), None, [plan_pick], **ui_event("11"))
                # Editing controls: shown to editors only (and refused to others on the server too).
                with gr.Column(elem_id="upload-box") as upload_box:
                    gr.Markdown(
                        "### 上传新计划 Add a plan\n"
                        ".txt/.md（UTF-8 或 GBK）、.docx（含表格）、PDF（文字版或扫描件，扫描件经 OCR 识别）、"
                        "网页 .html、页面图片 .png/.jpg — 原件照存，增量建立索引，无需重启；"
                        "在编辑确认前，引用它的回答都会标为未经确认。"
                        "Text, Word (tables too), PDF (with a text layer or scanned: read by OCR), saved web pages "
                        "and page images. The original is kept as it is and indexed incrementally; answers quoting "
                        "it are marked as an unconfirmed upload until an editor confirms it."
                    )
                    with gr.Row(equal_height=False):
                        upload_file = gr.File(
                            label="计划文件 Plan file",
                            file_types=list(ACCEPTED_SUFFIXES),
                            file_count="single",
                            type="filepath",
                            elem_id="upload-file",
                            height=140,
                            min_width=260,
                        )
                        with gr.Column(min_width=260):
                            upload_btn = gr.Button(
                                "添加并建立索引 Add & index", variant="primary", elem_id="upload-run"
                            )
                            # The upload's one progress bar is shown here (show_progress_on below),
                            # not over the documents table and the dropdowns the upload refreshes.
                            upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Column(elem_id="edit-box") as edit_box:
                    gr.Markdown("### 更正、确认或删除 Correct, confirm or delete a plan")
                    with gr.Row(equal_height=False):
                        fix_plan = gr.Dropdown(
                            choices=app.plan_choices(), label="计划 Plan", elem_id="fix-plan", min_width=240
                        )
                        fix_field = gr.Dropdown(
                            choices=[(FIELD_LABELS.get(f, f), f) for f in EDITABLE_FIELDS if f != "region_parent"],
                            label="字段 Field",
                            elem_id="fix-field",
                            min_width=160,
                        )
                        fix_value = gr.Textbox(
                            label="新值 New value (空 = 重新推断 empty = infer again)", elem_id="fix-value"
                        )
                        with gr.Column(min_width=160):
                            fix_btn = gr.Button("更正 Correct", elem_id="fix-run")
                            confirm_btn = gr.Button("确认上传 Confirm upload", elem_id="confirm-run")
                            delete_ok = gr.Checkbox(
                                label="确认删除所选计划 I confirm the deletion", elem_id="delete-ok"
                            )
                            delete_btn = gr.Button("删除 Delete", variant="stop", elem_id="delete-run")
                    fix_status = gr.Markdown(elem_id="fix-status")
                with gr.Column(elem_id="locks-box") as locks_box:
                    gr.Markdown(
                        "### 登录锁定 Locked logins\n多次输错密码后账户或地址会被暂时锁定；确认是本人后可解锁。"
                        "After repeated wrong passwords an account or an address is locked for a while; "
                        "lift it once you know who it was."
                    )
                    with gr.Row(equal_height=False):
                        lock_pick = gr.Dropdown(choices=[], label="锁定 Lockout", elem_id="lock-pick", min_width=240)
                        unlock_btn = gr.Button("解锁 Unlock", elem_id="unlock-run", min_width=120)
                    lock_status = gr.Markdown(elem_id="lock-status")
                unlock_btn.click(guarded(app.unlock), [lock_pick], [lock_status, lock_pick], **ui_event("unlock"))
                # Everything whose choices follow the corpus (uploads, corrections, deletions).
                refresh_outputs = [regions, years, plans, docs_table, plan_pick, fix_plan, track_region, before_plan,
                                   after_plan]  # fmt: skip
                upload_btn.click(
                    guarded(app.upload),
                    [upload_file],
                    [upload_status, *refresh_outputs],
                    **ui_event("12"),
                    concurrency_limit=1,
                    show_progress_on=[upload_status],
                )
                fix_btn.click(
                    guarded(app.correct),
                    [fix_plan, fix_field, fix_value],
                    [fix_status, *refresh_outputs],
                    **ui_event("fix"),
                    show_progress_on=[fix_status],
                )
                confirm_btn.click(
                    guarded(app.confirm),
                    [fix_plan],
                    [fix_status, *refresh_outputs],
                    **ui_event("confirm"),
                    show_progress_on=[fix_status],
                )
                delete_btn.click(
                    guarded(app.delete),
                    [fix_plan, delete_ok],
                    [fix_status, *refresh_outputs],
                    **ui_event("delete"),
                    show_progress_on=[fix_status],
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
                    # Fixed shares of the page width: the long answer and retrieved cells wrap
                    # instead of pushing their columns past the right edge.
                    column_widths=["6%", "6%", "6%", "20%", "8%", "27%", "27%"],
                )
                eval_btn.click(
                    guarded(app.run_eval),
                    [gold_file, eval_k],
                    [eval_status, metrics_table, breakdown_table, chart, failures_table, report_btn],
                    **ui_event("13"),
                    concurrency_limit=1,
                    show_progress_on=[eval_status],  # one bar, not one over each table and the chart
                )

        demo.load(guarded(app.refresh), None, refresh_outputs, **ui_event("14"))
        demo.load(guarded(app.role_view), None, [who, upload_box, edit_box, locks_box, lock_pick], **ui_event("role"))
        # References list on open, before anyone searches.
        demo.load(
            guarded(app.references),
            [ref_query],
            [ref_status, ref_table, ref_groups, ref_cites],
            **ui_event("refs-open"),
        )
        register(PolicyQAApi(qa))
    demo.queue(default_concurrency_limit=8)
    demo.policyqa_app = app  # launch_app puts its guard in front of the server
    return demo


def launch_app(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, prevent_thread_lock: bool = False, **kwargs: Any
) -> gr.Blocks:
    """Launch ``demo`` (from :func:`build_app`) with the page's theme, CSS and script, behind
    :class:`~assistant.interfaces.web.security.SecurityMiddleware`, with logins when its App
    requires them. Exceptions' text never reaches a client (``show_error`` off: a refusal is a
    ``gr.Error`` with its own message)."""
    app: App = demo.policyqa_app
    settings = app.guard.settings
    script = static_folder() / "policyqa.js"
    gr.set_static_paths([static_folder()])

    def tokens() -> tuple[str | None, dict]:
        server = getattr(demo, "server_app", None)
        return (server.cookie_id, server.tokens) if server is not None else (None, {})

    if app.login_required and "auth" not in kwargs:
        kwargs["auth"] = login(settings.users_file)
        kwargs.setdefault("auth_message", "policyqa — 请登录 Please log in (accounts: `policyqa users`)")
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        theme=theme(),
        css=CSS,
        head=f'<script src="/gradio_api/file={script}"></script>',
        max_file_size=settings.max_upload_bytes,
        app_kwargs={"middleware": [Middleware(SecurityMiddleware, guard=app.guard, tokens=tokens)]},
        ssr_mode=False,
        **{"show_error": False, "quiet": True, **kwargs},
    )
    return demo


class ServeError(RuntimeError):
    """The page cannot be served as asked; the message says what to run."""


def login(users_file: Path):
    """Gradio's ``auth`` callable: the accounts file is read at each login, so an account
    added or removed with ``policyqa users`` counts from the next login on."""

    def check(name: str, password: str) -> bool:
        try:
            ok = Accounts(users_file).check(name, password)
        except AccountsError:
            log.exception("users file unreadable; login refused")
            return False
        log.info("login %s for %r", "accepted" if ok else "refused", name)
        return ok

    return check


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Open the index (building it first if missing, with progress) and serve the page until interrupted.

    Raises ServeError for a non-loopback ``host`` when there are no accounts: anyone who can
    reach the address could otherwise change the plans the answers quote.
    """
    accounts = Accounts(settings.users_file)
    if not is_loopback(host) and not accounts.enabled:
        raise ServeError(
            f"serving on {host} lets anyone who can reach it change the plans, and there are no accounts "
            f"({settings.users_file} is empty or missing). Add an editor first: "
            "`policyqa users add NAME --role editor`, then start again (everyone will log in). "
            "Or serve on 127.0.0.1 (the default) for yourself only."
        )
    started = time.perf_counter()
    log.info("loading the index from %s", settings.index_dir)
    qa = PolicyQA.open(settings, progress=True)
    if qa.follows_milvus() and settings.milvus_poll_seconds:
        # A reader without a corpus: new builds published by the editors' process arrive here.
        threading.Thread(
            target=qa.follow_milvus, args=(settings.milvus_poll_seconds, threading.Event()),
            name="milvus-follower", daemon=True,
        ).start()  # fmt: skip
    demo = build_app(qa, settings.users_file, login_required=accounts.enabled)
    log.info(
        "%d plans, %d passages ready in %.1f s; serving on http://%s:%d (%s)",
        len(qa.index.documents),
        len(qa.index.chunks),
        time.perf_counter() - started,
        host,
        port,
        f"{len(accounts)} accounts, login required" if accounts.enabled else "no accounts: this machine only",
    )
    # A service manager stops the server with SIGTERM: exit normally, so that the page's
    # temporary folder is removed (atexit) like after Ctrl-C.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    launch_app(demo, host, port, quiet=False)


__all__ = ["App", "ServeError", "build_app", "launch_app", "login", "serve"]
