"""Who may use a shared server, and what they did: :class:`Accounts` and :class:`AuditLog`.

Accounts live in one JSON file (``Settings.users_file``, managed with ``policyqa users``):
a name, a role and a salted scrypt hash of the password per account — never the
password. Two roles:

- ``reader`` — ask, search, compare, references, documents (read), evaluation;
- ``editor`` — a reader who may also upload, correct, confirm and delete plans (each
  change rebuilds the index).

Without accounts the page is for one person on this machine: ``policyqa serve`` refuses a
non-loopback address until an account exists. The audit log (``index/audit.jsonl``) has one
JSON line per change to the corpus: when, who, what, which plan.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROLES = ("reader", "editor")
EDITOR = "editor"
# scrypt cost: about 50 ms per check on the 2-core test machine; only logins pay it.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD_CHARS = 8


class AccountsError(ValueError):
    """A users file or an account request policyqa cannot use; the message says what to do."""


@dataclass(frozen=True)
class Account:
    """One account: its name, role, and the salt and scrypt hash of its password (hex)."""

    name: str
    role: str
    salt: str
    hash: str
    created: str = ""

    @property
    def is_editor(self) -> bool:
        return self.role == EDITOR


def _is_hex(value: object) -> bool:
    return isinstance(value, str) and len(value) >= 16 and len(value) % 2 == 0 and bool(_HEX.fullmatch(value))


_HEX = re.compile(r"[0-9a-f]+")


def _hash(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT).hex()


class Accounts:
    """The accounts in ``path`` (absent file: no accounts). Changes are written at once,
    atomically, readable by the owner only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._accounts: dict[str, Account] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._accounts = {a["name"]: Account(**a) for a in data["accounts"]}
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise AccountsError(
                    f"{self.path} is not a policyqa users file ({type(err).__name__}); "
                    "fix it or move it away and add accounts again with `policyqa users add`"
                ) from err
            bad = [a.name for a in self._accounts.values() if a.role not in ROLES]
            if bad:
                raise AccountsError(f"{self.path}: unknown role for {', '.join(bad)}; roles are {', '.join(ROLES)}")
            damaged = [a.name for a in self._accounts.values() if not (_is_hex(a.salt) and _is_hex(a.hash))]
            if damaged:
                raise AccountsError(
                    f"{self.path}: the salt or hash of {', '.join(damaged)} is damaged; "
                    "set the password again with `policyqa users add NAME`"
                )

    @property
    def enabled(self) -> bool:
        """True when there is at least one account: the page then asks everyone to log in."""
        return bool(self._accounts)

    def __iter__(self):
        return iter(sorted(self._accounts.values(), key=lambda a: a.name))

    def __len__(self) -> int:
        return len(self._accounts)

    def get(self, name: str | None) -> Account | None:
        return self._accounts.get(name or "")

    def add(self, name: str, password: str, role: str = "reader") -> Account:
        """Add an account or replace its password and role. Raises AccountsError for a bad
        name, a short password or an unknown role."""
        if not _NAME.fullmatch(name or ""):
            raise AccountsError(
                f"account name {name!r}: use 1–64 letters, digits, '.', '_', '@' or '-', "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise AccountsError(f"role {role!r}: use one of {', '.join(ROLES)}")
        if len(password or "") < MIN_PASSWORD_CHARS:
            raise AccountsError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
        salt = secrets.token_bytes(16)
        account = Account(name, role, salt.hex(), _hash(password, salt), time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        self._accounts[name] = account
        self._save()
        return account

    def remove(self, name: str) -> None:
        if name not in self._accounts:
            raise AccountsError(f"no account {name!r} in {self.path}")
        del self._accounts[name]
        self._save()

    def check(self, name: str, password: str) -> bool:
        """True when ``password`` is the account's. Takes the same time for an unknown name."""
        account = self._accounts.get(name or "")
        salt = bytes.fromhex(account.salt) if account else b"\0" * 16
        computed = _hash(password or "", salt)
        return account is not None and hmac.compare_digest(computed, account.hash)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = _private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"accounts": [asdict(a) for a in self]}, handle, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def local_user() -> str:
    """Who is at this machine's keyboard, for the audit log of CLI changes."""
    try:
        return f"{getpass.getuser()} (local)"
    except (KeyError, OSError):
        return "local"


def _private(path: Path, flags: int) -> int:
    """Open ``path`` readable and writable by the owner only (an existing file is made so too)."""
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return fd


class AuditLog:
    """Append-only JSON Lines of changes to the corpus: ``{"at", "user", "action", "plan", ...}``.

    The file is the owner's only (mode 0600): it names who changed what."""

    FILE = "audit.jsonl"

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / self.FILE

    def record(self, user: str, action: str, plan: str, **details: Any) -> None:
        entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "user": user, "action": action, "plan": plan, **details}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = _private(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # whole lines even with two servers on one index
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def entries(self, limit: int | None = None) -> list[dict]:
        """The newest ``limit`` entries (all when None), oldest first; unreadable lines are skipped."""
        if not self.path.exists():
            return []
        rows = []
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
        return rows[-limit:] if limit else rows


@dataclass(frozen=True)
class LoginPolicy:
    """When failed logins lock: ``max_failures`` for one account or ``address_max_failures``
    from one address within ``window`` seconds lock it for ``lockout`` seconds."""

    max_failures: int = 5
    address_max_failures: int = 20
    window: float = 900.0
    lockout: float = 900.0


class LoginGuard:
    """Failed logins per account and per address, and the lockouts they cause.

    Kept in a JSON file beside the accounts (``users.logins.json``, owner only) so that
    ``policyqa users unlock`` and an editor on the page can lift a lockout the server set,
    and a restart does not reset the count. Every change is one locked read-modify-write.
    """

    def __init__(self, users_file: Path, policy: LoginPolicy | None = None, clock=time.time) -> None:
        users_file = Path(users_file)
        self.path = users_file.with_name(f"{users_file.stem}.logins.json")
        self.policy = policy or LoginPolicy()
        self._clock = clock

    def locked(self, name: str, address: str) -> float:
        """Seconds until ``name`` may try again from ``address`` (0: not locked)."""
        now = self._clock()
        state = self._read()
        until = max(
            state["accounts"].get(name, {}).get("locked_until", 0.0),
            state["addresses"].get(address, {}).get("locked_until", 0.0),
        )
        return max(0.0, until - now)

    def failed(self, name: str, address: str) -> None:
        """Count a failed login; lock the account or the address when it has failed too often."""
        now, policy = self._clock(), self.policy

        def change(state: dict) -> None:
            for table, key, limit in (
                ("accounts", name, policy.max_failures),
                ("addresses", address, policy.address_max_failures),
            ):
                if not key:
                    continue
                entry = state[table].setdefault(key, {"failures": []})
                entry["failures"] = [t for t in entry.get("failures", []) if now - t < policy.window] + [now]
                if len(entry["failures"]) >= limit:
                    entry["locked_until"] = now + policy.lockout
                    entry["failures"] = []

        self._update(change)

    def succeeded(self, name: str) -> None:
        """A correct password: the account's count starts again (its address's does not)."""
        self._update(lambda state: state["accounts"].pop(name, None))

    def unlock(self, name: str | None = None, address: str | None = None) -> bool:
        """Lift the lockout (and the count) of an account or an address; True when there was one."""
        lifted = []

        def change(state: dict) -> None:
            if name:
                lifted.append(state["accounts"].pop(name, None))
            if address:
                lifted.append(state["addresses"].pop(address, None))

        self._update(change)
        return any(lifted)

    def locks(self) -> list[dict[str, Any]]:
        """Current lockouts: ``{"kind": "account"|"address", "name", "seconds_left"}``."""
        now, state = self._clock(), self._read()
        out = []
        for table, kind in (("accounts", "account"), ("addresses", "address")):
            for key, entry in sorted(state[table].items()):
                left = entry.get("locked_until", 0.0) - now
                if left > 0:
                    out.append({"kind": kind, "name": key, "seconds_left": round(left)})
        return out

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        for table in ("accounts", "addresses"):
            if not isinstance(data.get(table), dict):
                data[table] = {}
        return data

    def _update(self, change) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = _private(self.path.with_name(f".{self.path.name}.lock"), os.O_WRONLY | os.O_CREAT)
        with os.fdopen(fd, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._read()
            change(state)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            with os.fdopen(_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w", encoding="utf-8") as out:
                json.dump(state, out)
            os.replace(tmp, self.path)
