"""What stands between the page's HTTP server and a hostile colleague: :class:`ServerGuard`
(who may still use a session, failed logins, upload quotas) and :class:`SecurityMiddleware`
(the ASGI layer in front of Gradio that applies it).

The middleware, for every request:

- **Content-Security-Policy.** The page's own ``<script>`` tags get a fresh nonce per response
  and nothing else may run: no inline script, no ``onerror=`` attribute, no ``eval``. Files
  Gradio serves (uploads, charts) are sandboxed, so an uploaded .html cannot run either.
- **No deep links.** Gradio's ``/gradio_api/deep_link`` saves a session's components under a
  URL anyone can open; a conversation planted by one user would open in another's browser.
  The route is refused and the ``?deep_link=`` parameter ignored. ``/gradio_api/token``
  (which hands a page script the session token) is refused too.
- **Logins.** ``POST /login`` is refused while the account or the address is locked out
  (:class:`~assistant.interfaces.accounts.LoginGuard`); each answer counts as a success or a
  failure. When the accounts file is missing, unreadable or empty on a server started with
  logins, every login fails with the command that fixes it.
- **Sessions.** A session whose account was removed (or whose accounts file went missing)
  is ended within ``Settings.session_check_seconds``: its token is dropped and it gets 401.
- **Uploads.** ``POST /gradio_api/upload`` is refused past ``max_upload_bytes`` per file and
  ``upload_quota_bytes`` per user within ``upload_cache_seconds`` (Gradio deletes cached
  files older than that).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ...config import Settings
from ..accounts import Accounts, AccountsError, LoginGuard, LoginPolicy

log = logging.getLogger(__name__)

NO_ACCOUNTS = (
    "登录已停用：账户文件缺失、无法读取或没有账户。Logins are off: the accounts file is missing, unreadable "
    "or empty. On the server run `policyqa users add NAME --role editor`."
)
# The page: its own scripts (nonce), Gradio's modules and our static script (same origin).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Everything else (API JSON, assets, served files): nothing in it may run as a page.
OTHER_POLICY = "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'"
FILE_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# Responses that a browser never renders as a document of this origin.
_NOT_A_DOCUMENT = (
    b"application/json", b"text/event-stream", b"text/css", b"application/javascript", b"text/javascript",
)  # fmt: skip
REFUSED_PATHS = ("/gradio_api/deep_link", "/gradio_api/token")
PAGE_PATHS = ("/", "")


@dataclass
class _Uploads:
    """Bytes one user uploaded, with when: the quota counts the last ``upload_cache_seconds``."""

    events: deque = field(default_factory=deque)

    def total(self, now: float, window: float) -> int:
        while self.events and now - self.events[0][0] > window:
            self.events.popleft()
        return sum(size for _, size in self.events)


class ServerGuard:
    """The server's view of accounts, logins and uploads; one per served page.

    Args:
        settings: ``users_file`` and the limits (``login_*``, ``session_check_seconds``,
            ``max_upload_bytes``, ``upload_quota_bytes``, ``upload_cache_seconds``).
        login_required: True for a server started with logins (it then fails closed: no
            usable accounts file means no session and no login).
    """

    def __init__(self, settings: Settings, login_required: bool, clock=time.monotonic) -> None:
        self.settings = settings
        self.login_required = login_required
        self.logins = LoginGuard(
            settings.users_file,
            LoginPolicy(
                settings.login_max_failures,
                settings.login_address_max_failures,
                settings.login_window_seconds,
                settings.login_lockout_seconds,
            ),
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at = -1e18
        self._names: frozenset[str] | None = None
        self._uploads: dict[str, _Uploads] = {}

    def account_names(self) -> frozenset[str] | None:
        """Names of the accounts, read again at most every ``session_check_seconds``; None when
        the accounts file is missing, unreadable or empty."""
        now = self._clock()
        with self._lock:
            if now - self._checked_at >= self.settings.session_check_seconds:
                self._checked_at = now
                self._names = self._read_names()
            return self._names

    def forget_accounts(self) -> None:
        """Read the accounts file again on the next check (after a change made here)."""
        with self._lock:
            self._checked_at = -1e18

    def _read_names(self) -> frozenset[str] | None:
        try:
            accounts = Accounts(self.settings.users_file)
        except AccountsError:
            log.exception("the accounts file cannot be read: nobody may log in or stay logged in")
            return None
        names = frozenset(a.name for a in accounts)
        return names or None

    def session_allowed(self, name: str) -> bool:
        """True while ``name`` is an account (always, for a server without logins)."""
        if not self.login_required:
            return True
        names = self.account_names()
        return names is not None and name in names

    def upload_allowed(self, who: str, size: int | None) -> str | None:
        """Why an upload of ``size`` bytes by ``who`` is refused, or None when it may go ahead."""
        s = self.settings
        if size is not None and size > s.max_upload_bytes:
            return f"文件过大 The file is larger than {s.max_upload_bytes / 1e6:.0f} MB."
        with self._lock:
            used = self._uploads.setdefault(who, _Uploads()).total(self._clock(), s.upload_cache_seconds)
        if used + (size or 0) > s.upload_quota_bytes:
            hours = s.upload_cache_seconds / 3600
            return (
                f"上传过多 Upload limit reached: {s.upload_quota_bytes / 1e6:.0f} MB per user every "
                f"{hours:g} h; try again later."
            )
        return None

    def count_upload(self, who: str, size: int) -> None:
        with self._lock:
            self._uploads.setdefault(who, _Uploads()).events.append((self._clock(), size))


def _cookie_token(headers: dict[bytes, bytes], cookie_id: str) -> str | None:
    raw = headers.get(b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed cookie header is no session
        return None
    for key in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        if key in jar:
            return jar[key].value
    return None


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is longer than ``limit``."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


def _replay(body: bytes):
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _respond(send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail, "error": detail}, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", OTHER_POLICY.encode()),
        *COMMON_HEADERS,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """ASGI middleware in front of Gradio's app (see the module docstring).

    Args:
        app: the ASGI app it wraps.
        guard: the server's :class:`ServerGuard`.
        tokens: returns Gradio's ``(cookie_id, tokens dict)`` of the running server (the app
            object exists only once Gradio has launched).
    """

    def __init__(self, app, guard: ServerGuard, tokens) -> None:
        self.app = app
        self.guard = guard
        self.tokens = tokens

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        user = self._session_user(headers)
        if user is False:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4401})
                return
            cookie_id, _ = self.tokens()
            expired = [
                (b"set-cookie", f"{name}=; Max-Age=0; Path=/; HttpOnly".encode())
                for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}")
            ]
            await _respond(send, 401, "会话已结束，请重新登录 Your session has ended; log in again.", expired)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if path.rstrip("/") in REFUSED_PATHS:
            await _respond(send, 404, "not available on this server")
            return
        if method == "POST" and path.rstrip("/") == "/login":
            await self._login(scope, receive, send)
            return
        if method == "POST" and path.rstrip("/") == "/gradio_api/upload":
            who = user or _address(scope)
            size = headers.get(b"content-length")
            refused = self.guard.upload_allowed(who, int(size) if size and size.isdigit() else None)
            if refused:
                await _respond(send, 413, refused)
                return
            receive = self._counting(receive, who)
        if path in PAGE_PATHS and b"deep_link" in scope.get("query_string", b""):
            # Gradio would restore another session's components from the link: serve the page clean.
            scope = {**scope, "query_string": b""}
        await self.app(scope, receive, self._headers(send, page=method in ("GET", "HEAD") and path in PAGE_PATHS))

    def _session_user(self, headers: dict[bytes, bytes]) -> str | bool | None:
        """The logged-in user of the request, None without a session, False for a session that
        must end (its account was removed, or the accounts file became unusable)."""
        cookie_id, tokens = self.tokens()
        if cookie_id is None:
            return None
        token = _cookie_token(headers, cookie_id)
        name = tokens.get(token) if token else None
        if name is None:
            return None
        if self.guard.session_allowed(name):
            return name
        tokens.pop(token, None)
        log.warning("ended the session of %r: no such account any more", name)
        return False

    async def _login(self, scope, receive, send) -> None:
        body = await _read_body(receive, 16_384)
        if body is None:
            await _respond(send, 413, "login form too large")
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        name = (form.get("username") or [""])[0].strip()[:64]
        address = _address(scope)
        if self.guard.login_required and self.guard.account_names() is None:
            log.warning("login refused for %r: %s", name, NO_ACCOUNTS)
            await _respond(send, 400, NO_ACCOUNTS)
            return
        wait = self.guard.logins.locked(name, address)
        if wait > 0:
            log.warning("login refused for %r from %s: locked for %.0f s", name, address, wait)
            await _respond(
                send,
                429,
                f"尝试次数过多，请 {wait / 60:.0f} 分钟后再试 Too many failed logins; try again in "
                f"{max(1, round(wait / 60))} min, or ask an editor to unlock the account.",
                [(b"retry-after", str(int(wait) + 1).encode())],
            )
            return
        status: dict[str, int] = {}

        async def watch(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, _replay(body), self._headers(watch, page=False))
        if status.get("code") == 200:
            self.guard.logins.succeeded(name)
            self.guard.forget_accounts()  # an account added since the last check is in from now
        elif status.get("code") in (400, 401):
            self.guard.logins.failed(name, address)

    def _counting(self, receive, who: str):
        """``receive`` that counts an upload's bytes and stops it past the user's quota."""
        guard, counted = self.guard, {"bytes": 0}

        async def wrapped():
            message = await receive()
            size = len(message.get("body", b""))
            counted["bytes"] += size
            guard.count_upload(who, size)
            if message.get("body") and guard.upload_allowed(who, 0):
                log.warning("upload by %s stopped: over the quota", who)
                return {"type": "http.disconnect"}
            return message

        return wrapped

    @staticmethod
    def _headers(send, page: bool):
        """``send`` that adds the security headers; for the page, a nonce on each of its scripts."""
        nonce = secrets.token_urlsafe(18) if page else ""
        held: dict[str, Any] = {}

        async def wrapped(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
                html = page and kind.startswith(b"text/html")
                if html:
                    policy = PAGE_POLICY.format(nonce=nonce)
                elif kind.startswith(_NOT_A_DOCUMENT):
                    policy = OTHER_POLICY
                else:  # a served file (an upload, a chart): sandboxed, it cannot act as a page
                    policy = FILE_POLICY
                headers += [(b"content-security-policy", policy.encode()), *COMMON_HEADERS]
                message = {**message, "headers": headers}
                if html:
                    held["start"], held["body"] = message, b""
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in held:
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                body = held["body"].replace(b"<script", f'<script nonce="{nonce}"'.encode())
                start = held.pop("start")
                start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                start["headers"].append((b"content-length", str(len(body)).encode()))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        return wrapped


def _address(scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def static_folder() -> Path:
    """The folder of the page's own script (served by Gradio as a static path)."""
    return Path(__file__).resolve().parent / "static"
