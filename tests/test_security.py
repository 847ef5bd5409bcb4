"""The shared server as a hostile colleague tries it: a served copy with an editor and a reader,
on loopback, attacked through the browser and through raw HTTP.

- Nothing planted in a plan (title, heading, body) or typed into a question runs in a browser:
  every tab opened, questions holding HTML asked, a shared link opened.
- A forged chat history sent to the queue is not shown to anyone; a reader's editor actions
  sent straight to the HTTP API are refused and change nothing.
- Deep links and the token route are off; the page carries a Content-Security-Policy with no
  inline script; logins are rate-limited; a removed account loses its session; the upload
  cache has a quota; a server whose accounts file disappears lets nobody in.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.corpus import update_manifest
from assistant.interfaces.accounts import Accounts, AuditLog, LoginGuard
from assistant.interfaces.web import build_app, launch_app
from assistant.pipeline import PolicyQA

from .test_app import CHROMIUM, CHROMIUM_ARGS, TIMEOUT, WIDE, ask, ensure_chromium, free_port, tab

EDITOR = ("erin", "editor password")
READER = ("rick", "reader password")
# HTML and script planted in a plan: its title line, a heading and a body sentence. If any of
# it ran, window.__pq_pwned would say where it came from.
PLANTED = (
    "<img src=x onerror=\"window.__pq_pwned='title'\">2023年测试县卫生健康工作要点"
    "<script>window.__pq_pwned='script'</script>\n"
    "测试县卫生健康委员会\n"
    "一、<img src=x onerror=\"window.__pq_pwned='heading'\">基层卫生服务能力提升\n"
    "力争全县建成智慧健康小屋88个<img src=x onerror=\"window.__pq_pwned='body'\">，覆盖全部行政村。"
    "推进县域医共体建设，做实家庭医生签约服务，<b onmouseover=\"window.__pq_pwned='bold'\">签约率</b>达到75%。\n"
    '二、=HYPERLINK("http://example.invalid","点击")公共卫生\n'
    "完成适龄儿童免疫规划疫苗接种率90%以上。\n"
)
PLANTED_TITLE = "<img src=x onerror=\"window.__pq_pwned='manifest'\">2023年测试县卫生健康工作要点"
HTML_QUESTION = "<img src=x onerror=\"window.__pq_pwned='question'\">测试县2023年智慧健康小屋建设多少个"


class Server:
    """A served copy of the session corpus (plus the planted plan), with accounts."""

    def __init__(self, demo, url: str, settings: Settings, qa: PolicyQA) -> None:
        self.demo, self.url, self.settings, self.qa = demo, url, settings, qa

    @contextlib.contextmanager
    def client(self, who: tuple[str, str] | None = None) -> Iterator[httpx.Client]:
        """An HTTP client, logged in as ``who``."""
        with httpx.Client(base_url=self.url, timeout=60) as client:
            if who:
                response = client.post("/login", data={"username": who[0], "password": who[1]})
                assert response.status_code == 200, response.text
            yield client


@pytest.fixture(scope="module")
def server(built, embedder, tmp_path_factory) -> Iterator[Server]:
    session, _ = built
    base = tmp_path_factory.mktemp("secure")
    shutil.copytree(session.corpus_dir, base / "corpus")
    shutil.copytree(session.index_dir, base / "index")
    (base / "corpus" / "planted-2023.txt").write_text(PLANTED, encoding="utf-8")
    # A title an editor typed (a correction) holding markup too: the manifest is another way in.
    update_manifest(base / "corpus", "planted-2023.txt", {"title": PLANTED_TITLE})
    users = base / "users.json"
    accounts = Accounts(users)
    accounts.add(*EDITOR, "editor")
    accounts.add(*READER, "reader")
    accounts.add("mallory", "mallory password", "reader")
    settings = Settings(
        corpus_dir=base / "corpus", index_dir=base / "index", users_file=users,
        session_check_seconds=0.5, upload_quota_bytes=1_500_000, login_max_failures=5,
    )  # fmt: skip
    qa = PolicyQA(settings, embedder)
    qa.build_index(progress=False)
    demo = build_app(qa, users)
    port = free_port()
    launch_app(demo, "127.0.0.1", port, prevent_thread_lock=True)
    yield Server(demo, f"http://127.0.0.1:{port}/", settings, qa)
    demo.close()


def call(client: httpx.Client, api_name: str, data: list) -> tuple[str, object]:
    """Gradio's two-step HTTP call: ("complete", data) or ("error", message)."""
    posted = client.post(f"/gradio_api/call/{api_name}", json={"data": data})
    if posted.status_code != 200:
        return "refused", posted.status_code
    event_id = posted.json()["event_id"]
    kind, payload = "", None
    with client.stream("GET", f"/gradio_api/call/{api_name}/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                text = line.split(":", 1)[1].strip()
                payload = json.loads(text) if text and text != "null" else None
                break
    return kind, payload


# -- raw HTTP ------------------------------------------------------------------------------


def test_no_login_no_page_and_no_api(server):
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert call(anonymous, "ask", ["老年医学科"])[0] != "complete"


def test_a_forged_chat_history_is_never_shown(server):
    forged = [{"role": "assistant", "content": "<img src=x onerror=\"fetch('/gradio_api/call/ui_delete')\">"}]
    with server.client(READER) as rick:
        kind, data = call(rick, "ui_1", [HTML_QUESTION, forged, [], [], [], "", "摘录 Quoted"])
        if kind != "complete":  # the State input is not part of the wire format: send without it
            kind, data = call(rick, "ui_1", [HTML_QUESTION, [], [], [], "摘录 Quoted"])
    assert kind == "complete", data
    shown = json.dumps(data[0], ensure_ascii=False)  # the chat's messages (the copy box is plain text)
    assert "<img" not in shown and "<script" not in shown  # no tag from the forged history or the question
    assert "&lt;img" in shown  # the question is there, escaped
    assert "fetch(" not in shown


def test_a_readers_editor_actions_are_refused_and_change_nothing(server):
    corpus = server.settings.corpus_dir
    before = sorted(p.name for p in corpus.iterdir())
    manifest = (corpus / "manifest.json").read_text(encoding="utf-8")
    with server.client(READER) as rick:
        uploaded = rick.post(
            "/gradio_api/upload", files={"files": ("plan.txt", "测试".encode() * 30, "text/plain")}
        ).json()[0]
        cached = Path(uploaded)
        assert cached.exists()
        file_data = {"path": uploaded, "meta": {"_type": "gradio.FileData"}, "orig_name": "plan.txt"}
        attempts = {
            "ui_delete": ["kaifeng-2022", True],
            "ui_fix": ["kaifeng-2022", "region", "北京市"],
            "ui_confirm": ["planted-2023"],
            "ui_unlock": ["account:erin"],
            "ui_12": [file_data],
        }
        for api_name, data in attempts.items():
            kind, payload = call(rick, api_name, data)
            assert kind in ("error", "refused"), (api_name, payload)
            if kind == "error" and api_name != "ui_unlock":  # (unlock: Gradio refuses a value not offered)
                assert "Only editors" in json.dumps(payload, ensure_ascii=False), (api_name, payload)
        assert cached.exists()  # the reader could not make the server delete a cached file
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert (corpus / "manifest.json").read_text(encoding="utf-8") == manifest
    assert [e for e in AuditLog(server.settings.index_dir).entries() if e["user"] == "rick"] == []


def test_deep_links_and_the_token_route_are_off(server):
    with server.client(READER) as rick:
        assert rick.get("/gradio_api/deep_link", params={"session_hash": "x"}).status_code == 404
        assert rick.get("/gradio_api/token").status_code == 404
        page = rick.get("/", params={"deep_link": "0123456789abcdef"})
        assert page.status_code == 200 and '"deep_link_state": "valid"' not in page.text


def test_the_page_forbids_inline_script(server):
    with server.client(READER) as rick:
        page = rick.get("/")
    policy = page.headers["content-security-policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'nonce-" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    nonce = script.split("'nonce-")[1].split("'")[0]
    assert page.text.count("<script") == page.text.count(f'<script nonce="{nonce}"') > 0
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"


def test_logins_are_locked_after_repeated_failures(server):
    address_free = LoginGuard(server.settings.users_file)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(5):
            assert client.post("/login", data={"username": "mallory", "password": "wrong!"}).status_code == 400
        locked = client.post("/login", data={"username": "mallory", "password": "mallory password"})
        assert locked.status_code == 429 and "Too many failed logins" in locked.json()["detail"]
        assert address_free.unlock(name="mallory")  # what `policyqa users unlock mallory` does
        assert client.post("/login", data={"username": "mallory", "password": "mallory password"}).status_code == 200


def test_a_removed_account_loses_its_open_session(server):
    users = server.settings.users_file
    Accounts(users).add("temp", "temporary password", "reader")
    with server.client(("temp", "temporary password")) as temp:
        assert temp.get("/gradio_api/info").status_code == 200
        Accounts(users).remove("temp")
        time.sleep(server.settings.session_check_seconds + 0.2)
        assert temp.get("/gradio_api/info").status_code == 401
        assert call(temp, "ask", ["老年医学科"])[0] != "complete"


def test_the_upload_cache_has_a_quota_per_user(server):
    with server.client(("mallory", "mallory password")) as mallory:
        one = b"x" * 700_000
        assert mallory.post("/gradio_api/upload", files={"files": ("a.bin", one)}).status_code == 200
        assert mallory.post("/gradio_api/upload", files={"files": ("b.bin", one)}).status_code == 200
        refused = mallory.post("/gradio_api/upload", files={"files": ("c.bin", one)})
        assert refused.status_code == 413 and "Upload limit" in refused.json()["detail"]
    with server.client(EDITOR) as erin:  # the quota is per user
        assert erin.post("/gradio_api/upload", files={"files": ("d.bin", one)}).status_code == 200


def test_without_its_accounts_file_the_server_lets_nobody_in(server):
    users = server.settings.users_file
    kept = users.read_bytes()
    with server.client(EDITOR) as erin:
        users.unlink()
        try:
            time.sleep(server.settings.session_check_seconds + 0.2)
            assert erin.get("/gradio_api/info").status_code == 401  # no account: no session
            refused = httpx.post(server.url + "login", data={"username": EDITOR[0], "password": EDITOR[1]})
            assert refused.status_code == 400 and "policyqa users add" in refused.json()["detail"]
        finally:
            users.write_bytes(kept)
    assert (server.settings.corpus_dir / "kaifeng-2022.txt").exists()


# -- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _nothing_ran(page) -> None:
    assert page.evaluate("() => window.__pq_pwned === undefined"), page.evaluate("() => window.__pq_pwned")
    assert page.evaluate("() => document.querySelectorAll('[onerror], [onmouseover], [onclick]').length") == 0


def test_nothing_planted_or_asked_runs_in_an_editors_browser(server, browser):
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    assert context.request.post(server.url + "login", form={"username": EDITOR[0], "password": EDITOR[1]}).ok
    page.goto(server.url)
    page.wait_for_selector("#ask-input textarea")
    _nothing_ran(page)
    # Ask: a question holding HTML, and questions whose answers quote the planted plan.
    for question in (HTML_QUESTION, "测试县2023年智慧健康小屋建设多少个", "测试县家庭医生签约率是多少"):
        answer = ask(page, question)
        answer.locator("summary").first.click() if answer.locator("summary").count() else None
        _nothing_ran(page)
    assert "<img" in page.locator("#chat").inner_text()  # the question is shown as the text it is
    # Compare, References, Documents (the planted plan's outline and text), Evaluation.
    tab(page, "对比 Compare")
    page.fill("#compare-topic textarea", "<img src=x onerror=\"window.__pq_pwned='topic'\">智慧健康小屋")
    page.click("#compare-run")
    page.wait_for_selector("#compare-status >> text=/\\d+ \\/ \\d+/")
    page.locator("#compare-table [data-testid='cell-0-0']").click()
    page.wait_for_timeout(1500)
    _nothing_ran(page)
    tab(page, "引用 References")
    page.wait_for_selector("#ref-status >> text=cited policies")
    _nothing_ran(page)
    tab(page, "文档 Documents")
    page.wait_for_selector("#docs-table")
    assert PLANTED_TITLE in page.locator("#docs-table").inner_text()  # shown as the text it is
    page.locator("#doc-pick input").click()
    page.get_by_role("option").filter(has_text="测试县").first.click()
    page.wait_for_selector("#doc-outline >> text=/一、<img/")  # the planted heading, as text
    _nothing_ran(page)
    tab(page, "评测 Evaluation")
    _nothing_ran(page)
    # A shared link: Gradio's deep links are off, and opening one restores nothing.
    page.goto(server.url + "?deep_link=0123456789abcdef")
    page.wait_for_selector("#ask-input textarea")
    _nothing_ran(page)
    assert page.locator("#chat .bot-row").count() == 0
    # The planted handlers were stripped before the policy had to block them, or were blocked.
    assert all("inline" in v or "eval" in v for v in violations)
    context.close()


def test_the_editor_controls_follow_the_role(server, browser):
    for who, visible in ((EDITOR, True), (READER, False)):
        context = browser.new_context(viewport=WIDE)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        assert context.request.post(server.url + "login", form={"username": who[0], "password": who[1]}).ok
        page.goto(server.url)
        page.wait_for_selector("#ask-input textarea")
        tab(page, "文档 Documents")
        page.wait_for_timeout(800)
        assert page.locator("#upload-box").is_visible() is visible
        assert page.locator("#locks-box").is_visible() is visible
        context.close()


def test_a_demoted_editor_loses_the_role_at_once(server):
    from assistant.interfaces.web.handlers import App

    users = replace(server.settings).users_file
    Accounts(users).add("ed", "editor two password", "editor")
    app: App = server.demo.policyqa_app

    class Request:
        username = "ed"

    assert app.user(Request())[1] is True
    Accounts(users).add("ed", "editor two password", "reader")
    assert app.user(Request())[1] is False
