"""The chat page end to end: the real Gradio server on loopback, driven by Debian's chromium.

The server runs over a copy of the session index (the upload test gets its own server on
the ``workspace`` copy), so nothing here touches the session corpus. Screenshots of every
tab are saved to build/screenshots/ (docs/screenshots/ with benchmarks/screenshots.sh).
Chromium is installed by the tests when missing (as root with apt), else they fail with the
command to run (CI installs it, see .ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.config import Settings
from assistant.interfaces.web import build_app, launch_app
from assistant.interfaces.web.render import NO_ANSWER, answer_html, answer_plain, describe_filters
from assistant.pipeline import PolicyQA

from .conftest import CORPUS, ROOT, settings_at

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots go to an ignored folder (looked at after a run); `benchmarks/screenshots.sh`
# refreshes the README's in docs/screenshots by pointing this at it.
SHOTS = Path(os.environ.get("POLICYQA_SCREENSHOTS_DIR") or ROOT / "build" / "screenshots")
WIDE = {"width": 1280, "height": 900}
TIMEOUT = 30_000  # ms, for anything the server computes

ZJ_QUESTION = "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少"
EN_QUESTION = "What are the elderly-care targets in Zhejiang 2022?"
TEST_TITLE = "2023年测试县卫生健康工作要点"
TEST_TARGET = "力争全县建成智慧健康小屋88个，覆盖全部行政村。"  # not 新建: the gazetteer reads 新建区


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: Settings, embedder) -> tuple[object, str, PolicyQA]:
    """Launch the app over ``settings`` on a free loopback port; returns (demo, url, qa)."""
    qa = PolicyQA(settings, embedder)
    qa.reload()
    demo = build_app(qa)
    port = free_port()
    launch_app(demo, "127.0.0.1", port, prevent_thread_lock=True)
    return demo, f"http://127.0.0.1:{port}/", qa


@pytest.fixture(scope="module")
def server(built, embedder, tmp_path_factory) -> Iterator[str]:
    """The app over a private copy of the session corpus and index; yields its URL."""
    settings, _ = built
    base = tmp_path_factory.mktemp("app")
    shutil.copytree(settings.corpus_dir, base / "corpus")
    shutil.copytree(settings.index_dir, base / "index")
    demo, url, _ = start_server(settings_at(base), embedder)
    yield url
    demo.close()


INSTALL_BROWSER = "apt-get install -y chromium fonts-noto-cjk"


def ensure_chromium() -> None:
    """Install Debian's chromium and CJK fonts when missing (as root, with apt), else fail
    with the command to run: the browser tests are never skipped."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        subprocess.run([*INSTALL_BROWSER.split(), "-qq"], env=env, check=False, capture_output=True)
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need /usr/bin/chromium; install it with: sudo {INSTALL_BROWSER}")


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, viewport: dict | None = None):
    """A fresh browser session on the app, loaded and ready."""
    context = browser.new_context(viewport=viewport or WIDE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.wait_for_selector("#ask-input textarea")
    return page


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server)
    yield page
    page.context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let transitions settle
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def ask(page, question: str):
    """Type a question, send it, and return the locator of the new answer message."""
    before = page.locator("#chat .bot-row").count()
    page.fill("#ask-input textarea", question)
    page.click("#ask-send")
    page.wait_for_function(
        """n => {
            const rows = document.querySelectorAll('#chat .bot-row');
            return rows.length > n && rows[rows.length - 1].querySelector('.pq-answer, .pq-abstain') !== null;
        }""",
        arg=before,
    )
    bot = page.locator("#chat .bot-row")
    return bot.last


def expect(locator):
    """Playwright's auto-waiting assertions (imported late: the module must load without playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def choose(page, dropdown: str, text: str) -> None:
    """Pick the option of a Gradio dropdown whose label contains ``text``."""
    field = page.locator(f"{dropdown} input")
    field.click()
    page.get_by_role("option").filter(has_text=text).first.click()
    field.press("Escape")


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


# -- Ask -------------------------------------------------------------------------------------


def test_ask_chinese_and_english_with_citation_cards(page):
    answer = ask(page, ZJ_QUESTION)
    assert "65%" in answer.locator(".pq-answer").inner_text()
    cards = answer.locator(".pq-card")
    assert cards.count() >= 1
    head = cards.first.locator(".pq-card-head").inner_text()
    assert "浙江省" in head and "2022" in head and "2022年浙江省卫生健康工作要点" in head
    assert "老年健康服务五大行动" in cards.first.locator(".pq-trail").inner_text()
    # the card shows its sentence; the passage and the document open on demand
    assert "65%" in cards.first.locator(".pq-quote").inner_text()
    passage = cards.first.locator(".pq-passage")
    assert not passage.is_visible()
    cards.first.locator("summary").first.click()
    assert passage.is_visible() and "65%" in passage.locator("mark").inner_text()
    context = cards.first.locator(".pq-doc")
    assert not context.is_visible()
    cards.first.locator("summary").nth(1).click()
    assert context.is_visible() and "65%" in context.locator("mark").inner_text()
    # the highlight is in view when the document opens: little text precedes the passage
    assert context.evaluate("el => el.querySelector('mark').offsetTop - el.offsetTop") < 260
    expect(page.locator("#applied")).to_contain_text("浙江省, 2022")
    expect(page.locator("#copy-box textarea")).to_have_value(re.compile("65%"))
    copied = page.locator("#copy-box textarea").input_value()
    assert (
        copied.splitlines()[0] == "浙江省 2022：推动二级及以上公立综合性医院设置老年医学科比例达65%以上 [1]"
    )  # the direct answer
    assert "[1] 浙江省 2022《2022年浙江省卫生健康工作要点》" in copied and "— “" in copied

    answer = ask(page, EN_QUESTION)
    text = answer.locator(".pq-answer").inner_text()
    assert "Zhejiang" in text and "[1]" in text and "65% or more" in text  # figures glossed in English
    assert answer.locator(".pq-card").count() >= 2
    assert answer.locator(".pq-gloss").count() >= 2
    assert "浙江省" in answer.locator(".pq-card-head").first.inner_text()
    assert page.locator("#chat .user-row").count() == 2  # the history stays in the session

    answer = ask(page, "杭州2023年老年医学科比例")
    box = answer.locator(".pq-abstain")
    assert "No such plan" in box.inner_text() and "杭州市" in box.inner_text()
    assert answer.locator(".pq-card.pq-near").count() >= 1  # nearest passages listed
    expect(page.locator("#copy-box textarea")).to_have_value(re.compile("^文件库中没有这个计划 / No such plan"))
    shot(page, "ask", full_page=False)

    page.set_viewport_size({"width": 420, "height": 900})
    page.wait_for_timeout(500)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 440, f"the page scrolls sideways at 420 px ({width} px wide)"
    shot(page, "ask-narrow", full_page=False)


def test_the_language_model_answer_streams_then_shows_checked(browser, built, embedder, tmp_path):
    """With an endpoint configured, the Ask tab offers the checked model answer: its draft
    streams in marked "checking…", then the checked answer replaces it, saying who wrote it."""
    from tests.llm_server import ChatServer, Reply

    settings, _ = built
    right = "遂宁市2022年为1.82万名农村妇女开展两癌筛查。[1] 另外还将为5万名妇女开展乳腺癌筛查。"
    with ChatServer() as chat:
        chat.reply = lambda request: Reply(right, chunk_delay=0.15)
        llm = replace(settings, llm_base_url=chat.url, llm_model="scripted", answerer="llm")
        demo, url, _ = start_server(llm, embedder)
        page = open_page(browser, url)
        try:
            expect(page.locator("#answerer")).to_contain_text("Language model, checked")
            page.fill("#ask-input textarea", "遂宁2022年为多少农村妇女开展两癌筛查")
            page.click("#ask-send")
            expect(page.locator("#chat .pq-checking").last).to_be_visible()
            expect(page.locator("#chat .pq-draft").last).to_contain_text("1.82万")
            answer = page.locator("#chat .bot-row").last
            expect(answer.locator(".pq-answerer")).to_contain_text("Written by the language model")
            assert page.locator("#chat .pq-checking").count() == 0  # the draft is gone
            text = answer.locator(".pq-answer").inner_text()
            assert "1.82万" in text and "5万" not in text  # the uncited sentence was dropped …
            expect(answer.locator(".pq-note")).to_contain_text("removed")  # … and the user told
            shot(page, "ask-llm")
            # Quoted answers stay one click away.
            page.get_by_label("摘录 Quoted").check()
            quoted = ask(page, "遂宁2022年为多少农村妇女开展两癌筛查")
            assert quoted.locator(".pq-answerer").count() == 0 and quoted.locator(".pq-card").count() >= 1
        finally:
            page.context.close()
            demo.close()


def test_a_filter_contradicting_the_question_shows_nothing_applied(page):
    choose(page, "#filter-region", "东海县")
    answer = ask(page, "浙江省2022年老年医学科比例是多少")
    assert "未作回答" in answer.inner_text()
    box = answer.locator(".pq-applied").inner_text()
    assert "浙江省" not in box and "矛盾" in box  # the question's places were not applied
    expect(page.locator("#applied")).not_to_contain_text("浙江省")


def test_region_filter(page):
    field = page.locator("#filter-region input")
    field.click()
    field.fill("江苏")
    page.get_by_role("option", name="江苏省", exact=True).click()
    field.press("Escape")
    answer = ask(page, "家庭医生签约服务有什么目标")
    heads = answer.locator(".pq-card-head").all_inner_texts()
    assert heads and all(("常州市" in h or "东海县" in h) for h in heads), heads
    expect(page.locator("#applied")).to_contain_text("江苏省")


def test_follow_up_inherits_the_topic_and_clear_forgets_it(page):
    ask(page, "东海县2021年新增托位多少个？")
    answer = ask(page, "那浙江呢？")
    text = answer.locator(".pq-answer").inner_text()
    assert "接上一问" in text and "浙江省" in answer.locator(".pq-card-head").first.inner_text()
    shot(page, "ask-follow-up", full_page=False)
    page.get_by_role("button", name="清空对话 Clear chat").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .bot-row').length === 0")  # cleared by the server
    answer = ask(page, "那浙江呢？")  # nothing to follow up on any more: asks for a whole question
    assert "接上一问" not in answer.inner_text() and "请完整提问" in answer.inner_text()


def test_every_answer_has_its_own_copy_button(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, ZJ_QUESTION)
    ask(page, EN_QUESTION)
    first = page.locator("#chat .bot-row").first
    button = first.locator(".pq-copy")
    assert "65%以上 [1]" in first.locator(".pq-plain").text_content()  # the first answer, not the last
    button.click()
    expect(button).to_have_text("已复制 Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("浙江省 2022：") and "[1] 浙江省 2022《2022年浙江省卫生健康工作要点》" in copied


def test_a_new_answer_is_scrolled_into_view_at_its_top(page):
    for question in (EN_QUESTION, ZJ_QUESTION, EN_QUESTION):
        answer = ask(page, question)
    page.wait_for_timeout(400)
    top = answer.evaluate("el => el.getBoundingClientRect().top")
    chat_top = page.locator("#chat").evaluate("el => el.getBoundingClientRect().top")
    assert top >= chat_top - 5  # the answer's first line is visible, not scrolled past
    assert answer.locator(".pq-answer").evaluate("el => el.getBoundingClientRect().top") < 900


def test_a_near_miss_is_marked_and_quotes_the_nearest_statement(page):
    answer = ask(page, "浙江2022年三级医院设置老年医学科的比例目标是多少？")
    box = answer.locator(".pq-abstain")
    assert "Not in the plans as asked" in box.inner_text() and "三级" in box.inner_text()
    near = answer.locator(".pq-card.pq-near")
    assert near.count() >= 1 and "65%" in near.first.locator(".pq-quote").inner_text()
    assert "Nearest statements, not an answer" in answer.inner_text()
    shot(page, "ask-near-miss", full_page=False)


def test_examples_fill_the_question(page):
    page.get_by_text("遂宁2022年为多少农村妇女开展两癌筛查").first.click()
    expect(page.locator("#ask-input textarea")).to_have_value("遂宁2022年为多少农村妇女开展两癌筛查")
    answer = ask(page, page.locator("#ask-input textarea").input_value())
    assert "1.82万" in answer.inner_text()


# -- Compare and References -----------------------------------------------------------------


def test_compare_tab(page, tmp_path):
    tab(page, "对比 Compare")
    page.fill("#compare-topic textarea", "老年医学科")
    page.click("#compare-run")
    page.wait_for_selector("#compare-status >> text=/\\d+ \\/ \\d+/")
    table = page.locator("#compare-table")
    # each figure with what it counts, in the plan's words
    for value in ("浙江省", "二级及以上公立综合性医院设置老年医学科比例达65%以上", "东海县", "70%以上"):
        assert value in table.inner_text()
    with page.expect_download() as download:
        page.click("#compare-csv")
    csv_path = tmp_path / "compare.csv"
    download.value.save_as(csv_path)
    csv_text = csv_path.read_text(encoding="utf-8-sig")
    assert "浙江省" in csv_text and "65%以上" in csv_text
    expect(page.locator("#compare-md")).to_be_visible()
    table.get_by_text("设置老年医学科比例达65%以上", exact=False).filter(visible=True).first.click()  # opens its quote
    page.wait_for_selector("#compare-card .pq-card mark")
    assert "65%" in page.locator("#compare-card mark").first.inner_text()
    shot(page, "compare")


def test_references_tab(page):
    tab(page, "引用 References")
    page.click("#ref-run")
    page.wait_for_selector("#ref-status >> text=cited policies")
    rows = page.locator("#ref-table [role=row]")
    assert rows.count() >= 4  # the header and at least three references
    first = page.locator("#ref-table [data-testid='cell-0-0']")
    name = first.inner_text().strip()
    first.click()
    page.wait_for_selector("#ref-cites .pq-card")
    cites = page.locator("#ref-cites")
    assert name.strip("《》") in cites.inner_text()
    assert cites.locator(".pq-passage mark").count() >= 1


def test_references_are_listed_when_the_page_opens(page):
    tab(page, "引用 References")
    page.wait_for_selector("#ref-status >> text=cited policies")  # without pressing Search
    assert page.locator("#ref-table [role=row]").count() >= 4
    shot(page, "references")


# -- Documents and upload --------------------------------------------------------------------


def test_documents_tab_shows_metadata_outline_and_text(page):
    tab(page, "文档 Documents")
    table = page.locator("#docs-table")
    for title in ("2022年浙江省卫生健康工作要点", "2021年全县卫生健康工作要点", "浙卫发〔2022〕8号"):
        assert title in table.inner_text()
    table.get_by_text("2022年浙江省卫生健康工作要点", exact=True).filter(visible=True).first.click()
    page.wait_for_selector("#doc-outline .pq-outline div")
    assert "10.开展老年健康服务五大行动" in page.locator("#doc-outline").inner_text()
    assert "老年医学科比例达65%以上" in page.locator("#doc-text textarea").input_value()
    shot(page, "documents")


def _test_plan(path: Path) -> Path:
    """A made-up county plan (GBK) built from part of a real plan, with one distinctive target."""
    body = (CORPUS / "donghai-2021.txt").read_text(encoding="utf-8")
    start = body.find("一、")
    text = (
        f"{TEST_TITLE}\n测试县卫生健康局\n2023年3月1日\n"
        f"一、推进健康小屋建设\n（一）建设智慧健康小屋。{TEST_TARGET}\n"
        + body[start : start + 900].replace("2021", "2023").replace("东海", "测试")
    )
    path.write_bytes(text.encode("gbk", errors="ignore"))
    return path


def test_upload_a_plan_then_ask_it_and_refuse_a_broken_file(browser, workspace, embedder, tmp_path):
    demo, url, qa = start_server(workspace, embedder)
    page = open_page(browser, url)
    try:
        tab(page, "文档 Documents")
        upload = page.locator("#upload-file input[type=file]")
        upload.set_input_files(str(_test_plan(tmp_path / "测试县2023.txt")))
        page.wait_for_selector("#upload-file >> text=测试县2023")
        page.click("#upload-run")
        page.wait_for_selector("#upload-status >> text=Added")
        status = page.locator("#upload-status").inner_text()
        assert "测试县2023.txt" in status and TEST_TITLE in status
        expect(page.locator("#docs-table")).to_contain_text(TEST_TITLE)
        written = workspace.corpus_dir / "测试县2023.txt"
        assert TEST_TARGET in written.read_bytes().decode("utf-8")  # stored as UTF-8
        shot(page, "upload-added")

        tab(page, "提问 Ask")
        answer = ask(page, "2023年测试县建成多少个智慧健康小屋")
        assert "88个" in answer.inner_text()
        assert TEST_TITLE in answer.locator(".pq-card-head").first.inner_text()

        tab(page, "文档 Documents")
        broken = tmp_path / "损坏.txt"
        broken.write_bytes(bytes(range(256)) * 16)
        page.locator("#upload-file button[aria-label='Clear']").first.click()
        page.locator("#upload-file input[type=file]").set_input_files(str(broken))
        page.wait_for_selector("#upload-file >> text=损坏")
        page.click("#upload-run")
        page.wait_for_selector("#upload-status >> text=Refused")
        assert "binary" in page.locator("#upload-status").inner_text()
        assert not any(p.name.startswith("损坏") for p in workspace.corpus_dir.iterdir())
        assert len(qa.index.documents) == 6  # five plans and the upload: nothing lost
        shot(page, "upload-refused")

        # correct the new plan's title, then delete it (with confirmation)
        choose(page, "#fix-plan", TEST_TITLE)
        choose(page, "#fix-field", "标题 Title")
        page.fill("#fix-value textarea", "2023年测试县卫生健康工作要点（更正）")
        page.click("#fix-run")
        page.wait_for_selector("#fix-status >> text=Corrected")
        expect(page.locator("#docs-table")).to_contain_text("（更正）")
        manifest = json.loads((workspace.corpus_dir / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["documents"]["测试县2023.txt"]["title"].endswith("（更正）")
        shot(page, "documents-corrected")
        choose(page, "#fix-plan", "（更正）")
        page.click("#delete-run")
        page.wait_for_selector("#fix-status >> text=Tick the confirmation")  # nothing without confirming
        assert written.exists()
        page.locator("#delete-ok input").check()
        page.click("#delete-run")
        page.wait_for_selector("#fix-status >> text=Deleted")
        assert not written.exists() and len(qa.index.documents) == 5
        expect(page.locator("#docs-table")).not_to_contain_text("（更正）")
    finally:
        page.context.close()
        demo.close()


def test_upload_a_pdf_then_open_the_cited_page_with_the_lines_boxed(browser, workspace, embedder, tmp_path):
    """A staff user's download: a Chromium-printed PDF is uploaded, answers cite its page, and
    "show the page" brings the rendered page with the cited lines boxed."""
    from . import formats as F

    try:
        F.require_tools()
    except F.ToolMissing as err:
        pytest.fail(str(err))
    text = _test_plan(tmp_path / "plan.txt").read_bytes().decode("gbk")
    (tmp_path / "print").mkdir()
    pdf = tmp_path / "测试县2023.pdf"
    shutil.copy(F.write_chromium_pdf(text, tmp_path / "print" / pdf.name), pdf)
    demo, url, _qa = start_server(workspace, embedder)
    page = open_page(browser, url)
    try:
        tab(page, "文档 Documents")
        page.locator("#upload-file input[type=file]").set_input_files(str(pdf))
        page.wait_for_selector("#upload-file >> text=测试县2023")
        page.click("#upload-run")
        page.wait_for_selector("#upload-status >> text=Added", timeout=180_000)
        status = page.locator("#upload-status").inner_text()
        assert "PDF" in status and TEST_TITLE in status
        assert (workspace.corpus_dir / pdf.name).read_bytes() == pdf.read_bytes()  # the original is kept

        tab(page, "提问 Ask")
        answer = ask(page, "2023年测试县建成多少个智慧健康小屋")
        assert "88个" in answer.inner_text()
        card = answer.locator(".pq-card").first
        assert "第1页" in card.inner_text()
        # the page reference the button hands the script is data, never shown to the reader
        assert not card.locator(".pq-pageref").is_visible() and '["' not in card.inner_text()
        assert not answer.locator(".pq-plain").first.is_visible()  # Copy's text, not a second answer
        assert page.locator("#page-image img").count() == 0
        card.locator(".pq-show-page").click()
        page.wait_for_selector("#page-image img", timeout=120_000)  # renders the page: slow on a loaded machine
        expect(page.locator("#page-caption")).to_contain_text("第1页")
        width = page.eval_on_selector("#page-image img", "img => img.naturalWidth")
        assert width > 500
        shot(page, "page-view")
    finally:
        page.context.close()
        demo.close()


# -- Evaluation ------------------------------------------------------------------------------


def test_evaluation_tab_with_a_small_gold_file(page, tmp_path):
    lines = (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    picked = questions[:4] + [q for q in questions if q["type"] == "unanswerable"][:1]
    gold = tmp_path / "mini.jsonl"
    gold.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in picked) + "\n", encoding="utf-8")
    tab(page, "评测 Evaluation")
    page.locator("#eval-file input[type=file]").set_input_files(str(gold))
    page.wait_for_selector("#eval-file >> text=mini")
    page.click("#eval-run")
    page.wait_for_selector("#eval-status >> text=5 个问题")
    expect(page.locator("#eval-metrics")).to_contain_text("Hit@5")  # labelled for people, not a snake_case key
    expect(page.locator("#eval-breakdown")).to_contain_text("type: unanswerable")
    page.wait_for_selector("#eval-chart img")
    expect(page.locator("#eval-report")).to_be_visible()
    shot(page, "evaluation")


# -- Layout (issue 22): geometry and DOM, not only screenshots --------------------------------

CHAT_LABEL = "#chat [data-testid=block-label]"
# Gradio's progress overlays ("status trackers") that are shown, with the component they sit on.
SHOWN_PROGRESS = """root => [...root.querySelectorAll('[data-testid=status-tracker]')].filter(w => {
    const r = w.getBoundingClientRect(), cs = getComputedStyle(w);
    return !w.classList.contains('hide') && cs.opacity !== '0' && cs.visibility !== 'hidden'
        && r.width > 0 && r.height > 0;
}).map(w => {
    const r = w.getBoundingClientRect(), host = w.closest('[id]');
    return {host: host ? host.id : '', text: w.innerText.replace(/\\s+/g, ' ').trim(),
            left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""
# Header words (runs without spaces) of a table drawn on more than one line, and header cells
# whose text overflows them.
SPLIT_HEADER_WORDS = """table => {
    const split = [], headers = [...table.querySelectorAll('[role=columnheader]')];
    for (const cell of headers) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const m of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, m.index);
                range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (lines.size > 1) split.push(m[0]);
            }
        }
        if (cell.scrollWidth > cell.clientWidth + 1) split.push(cell.innerText + ' (overflows its cell)');
    }
    return {headers: headers.length, split};
}"""


def box(locator) -> dict:
    """The element's bounding box in the viewport (left, right, top, bottom)."""
    return locator.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
    )


def overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def assert_header_words_whole(page, table: str) -> None:
    found = page.locator(table).evaluate(SPLIT_HEADER_WORDS)
    assert found["headers"] >= 2 and not found["split"], (table, found)


def assert_label_clear_of(page, message) -> None:
    """The chat's label covers no part of ``message``: it sits above it."""
    label, text = box(page.locator(CHAT_LABEL)), box(message)
    assert not overlap(label, text), (label, text)
    assert label["bottom"] <= text["top"] + 1, (label, text)


def test_the_chat_label_covers_no_message(page):
    ask(page, ZJ_QUESTION)
    answer = ask(page, EN_QUESTION)  # a long answer, shown from its first line (policyqa.js)
    page.wait_for_timeout(600)
    assert_label_clear_of(page, answer.locator(".pq-answer"))
    shot(page, "ask-label", full_page=False)
    page.locator("#chat .bubble-wrap").evaluate("el => el.scrollTo(0, 0)")
    page.wait_for_timeout(200)
    first = page.locator("#chat [data-testid=user]").first  # the first message: the first question
    assert_label_clear_of(page, first)
    assert box(page.locator(CHAT_LABEL))["bottom"] <= box(page.locator("#chat .bubble-wrap"))["top"] + 1


def test_display_tables_keep_header_words_whole_and_open_no_edit_box(page):
    tab(page, "文档 Documents")
    table = page.locator("#docs-table")
    expect(table).to_contain_text("2022年浙江省卫生健康工作要点")
    assert_header_words_whole(page, "#docs-table")  # "段落 Chunks", never "Chunk s"
    cell = table.locator("[data-testid='cell-1-1']")
    cell.click()
    page.wait_for_selector("#doc-outline .pq-outline div")  # the click still opens the plan …
    cell.dblclick()
    page.wait_for_timeout(300)
    # … and draws no edit box: no input, no selection ring, no handles or cell menu
    assert table.locator("input:visible, textarea:visible").count() == 0
    assert cell.evaluate("el => getComputedStyle(el).boxShadow") == "none"
    assert table.locator(".body-cell button:visible").count() == 0
    shot(page, "documents-clicked", full_page=False)
    tab(page, "引用 References")
    page.wait_for_selector("#ref-status >> text=cited policies")
    assert_header_words_whole(page, "#ref-table")
    page.locator("#ref-table [data-testid='cell-0-0']").click()
    page.wait_for_selector("#ref-cites .pq-card")  # the row's citing sentences, no edit box
    assert page.locator("#ref-table input:visible, #ref-table textarea:visible").count() == 0


def test_failing_questions_fit_the_page(page, tmp_path):
    lines = (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()][:4]
    for question in questions[:3]:  # made to fail: evidence and answer no plan has
        question["answer"] = "9999个"
        question["evidence"] = [{"doc": question["evidence"][0]["doc"], "quote": "这句话不在任何计划里"}]
    gold = tmp_path / "failing.jsonl"
    gold.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions) + "\n", encoding="utf-8")
    tab(page, "评测 Evaluation")
    page.locator("#eval-file input[type=file]").set_input_files(str(gold))
    page.wait_for_selector("#eval-file >> text=failing")
    page.click("#eval-run")
    page.wait_for_selector("#eval-status >> text=3 个失败")
    failures = page.locator("#eval-failures")
    expect(failures).to_contain_text("g001")
    width = page.evaluate("window.innerWidth")
    for name in ("答案 Answer", "检索 Retrieved"):
        header = box(failures.get_by_role("columnheader", name=name))
        assert header["left"] >= 0 and header["right"] <= width, (name, header, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page never scrolls sideways
    for table in ("#eval-failures", "#eval-metrics", "#eval-breakdown"):
        assert_header_words_whole(page, table)
    failures.scroll_into_view_if_needed()
    shot(page, "evaluation-failures")


def test_upload_progress_is_one_bilingual_bar_beside_the_table(browser, workspace, embedder, tmp_path):
    demo, url, _ = start_server(workspace, embedder)
    page = open_page(browser, url)
    try:
        tab(page, "文档 Documents")
        page.locator("#upload-file input[type=file]").set_input_files(str(_test_plan(tmp_path / "测试县2023.txt")))
        page.wait_for_selector("#upload-file >> text=测试县2023")
        page.click("#upload-run")
        documents, samples, pictured = page.locator("#tab-documents"), [], False
        while not page.locator("#upload-status >> text=Added").count():
            shown = documents.evaluate(SHOWN_PROGRESS)
            table = box(page.locator("#docs-table"))
            samples.append((shown, table))
            if not pictured and any("Embedding" in s["text"] for s in shown):
                page.locator("#upload-status").scroll_into_view_if_needed()
                shot(page, "upload-progress", full_page=False)
                pictured = True
            page.wait_for_timeout(100)
        for shown, table in samples:
            assert len(shown) <= 1, shown  # one bar, not one on each refreshed component
            for bar in shown:
                assert bar["host"] == "upload-status" and not overlap(bar, table), (bar, table)
        texts = [s["text"] for shown, _ in samples for s in shown]
        embedding = [t for t in texts if "向量化段落 Embedding passages" in t]
        assert embedding, texts  # what is happening, in both languages …
        assert re.search(r"\d+/\d+（剩余 \d+ left） - \d+\.\d%", embedding[-1]), embedding  # … and how much is left
        assert not any("embedding passages" in t for t in texts)  # the builder's English-only bar is gone
        assert not documents.evaluate(SHOWN_PROGRESS)  # none left once the upload is done

        tab(page, "提问 Ask")  # an answer quoting the unconfirmed upload starts with its ⚠ line
        answer = ask(page, "2023年测试县建成多少个智慧健康小屋")
        first = answer.locator(".pq-answer")
        assert first.inner_text().lstrip().startswith("⚠"), first.inner_text()[:80]
        page.wait_for_timeout(600)
        assert_label_clear_of(page, first)
        shot(page, "ask-caution", full_page=False)
    finally:
        page.context.close()
        demo.close()


# -- rendering without the browser ------------------------------------------------------------


def test_answer_plain_is_ready_to_paste(qa):
    answer = qa.ask(ZJ_QUESTION)
    text = answer_plain(answer)
    lines = text.splitlines()
    assert text.startswith(answer.answer.strip()) and lines[0] == answer.summary[0]
    source = next(line for line in lines if line.startswith("[1] "))
    assert source.startswith("[1] 浙江省 2022《2022年浙江省卫生健康工作要点》 三、")
    assert source.endswith("65%以上。”")


def test_answer_html_is_one_line_escaped_and_marks_abstentions(qa):
    answer = qa.ask(ZJ_QUESTION)
    answer.answer = answer.answer + "<script>alert(1)</script>"
    page = answer_html(answer, qa.index)
    assert "\n" not in page  # a raw newline would end the chat's HTML block
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count('class="pq-card"') == len(answer.citations)
    assert "<mark>" in page and NO_ANSWER not in page
    abstained = qa.ask("杭州2023年老年医学科比例")
    page = answer_html(abstained, qa.index)
    assert abstained.abstained and "No such plan" in page and 'class="pq-abstain"' in page
    unclear = answer_html(qa.ask("明天天气怎么样"), qa.index)
    assert NO_ANSWER in unclear
    assert page.count("pq-card pq-near") == min(5, len(abstained.hits))
    assert describe_filters(abstained).startswith("not in corpus")
    assert describe_filters(answer) == "浙江省, 2022"
