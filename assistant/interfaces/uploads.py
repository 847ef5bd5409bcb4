"""Adding a plan as one unit: file, manifest entry, index and audit line, or none of them.

An upload changes four things: the corpus file, its manifest entry (who added it, not yet
confirmed), the index, and the audit log. A crash between any two of them (SIGKILL, power)
would leave a plan in the corpus but not in the index, unaudited, and refused as a
duplicate when it is uploaded again. So every upload first writes a journal entry
(``corpus/.pending/<file>.json``) and holds a lock on it while it works; the entry is
removed only when all four are done. :meth:`Uploads.recover` — run before every upload,
before ``policyqa index`` and when the page starts — finds an entry whose upload died (its
lock is free) and finishes it when the plan made it into the live index (the audit line is
written), else rolls it back (file and manifest entry removed, the rollback audited).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from ..corpus import CorpusError, forget_entry, set_provenance
from ..corpus.ingest import PreparedUpload, duplicate_of, prepare_upload, target_path, write_upload
from ..corpus.originals import Progress
from ..index import BuildReport, PolicyIndex
from ..index.store import IndexCorruptError
from ..pipeline import PolicyQA
from ..schema import Document
from .accounts import AuditLog

log = logging.getLogger(__name__)

JOURNAL = ".pending"


@dataclass(frozen=True)
class Added:
    """An upload that is in: its corpus file, the index build report and the plan as indexed."""

    target: Path
    report: BuildReport
    document: Document | None
    chunks: int


class Uploads:
    """Uploads into the corpus of ``qa``, each applied whole (see the module docstring)."""

    def __init__(self, qa: PolicyQA, audit: AuditLog) -> None:
        self.qa = qa
        self.audit = audit
        self.journal = Path(qa.settings.corpus_dir) / JOURNAL

    def prepare(self, path: Path, name: str, progress: Progress | None = None) -> PreparedUpload:
        """Check the file (nothing written to the corpus; its conversion is cached); raises CorpusError
        with the reason. ``progress(done, total, message)`` is called as pages are read."""
        s = self.qa.settings
        return prepare_upload(
            path, s.corpus_dir, name, s.max_plan_chars, s.max_upload_text_bytes, s.max_upload_bytes,
            self.qa.originals(), progress,
        )  # fmt: skip

    def add(self, prepared: PreparedUpload, user: str, progress: bool = False) -> Added:
        """Write, record, index and audit one prepared upload, or leave everything as it was.

        Raises CorpusError when the plan is refused by the index build (its reason); any other
        failure rolls the upload back and is raised again.
        """
        added, refused = self.add_many([prepared], user, progress)
        if refused:
            raise CorpusError(next(iter(refused.values())))
        return added[0]

    def add_many(
        self, batch: list[PreparedUpload], user: str, progress: bool = False, confirmed: bool = False
    ) -> tuple[list[Added], dict[str, str]]:
        """Add several prepared uploads with one index build (``policyqa add`` of a folder).

        Each is in or out as a whole: the ones the build refuses are rolled back and returned as
        ``{original name: reason}``; an unexpected failure rolls every one of them back and is raised.
        ``confirmed`` records them as vouched for (an editor at the command line), else unconfirmed.
        """
        self.recover()
        corpus = Path(self.qa.settings.corpus_dir)
        refused: dict[str, str] = {}
        with contextlib.ExitStack() as stack:
            entries: list[tuple[PreparedUpload, _JournalEntry]] = []
            try:
                for item in batch:
                    try:
                        item = self._still_new(item, [p.digest for p, _ in entries])
                    except CorpusError as err:
                        refused[item.name] = str(err)
                        continue
                    entry = stack.enter_context(self._entry(item.target, item, user))
                    entries.append((item, entry))
                    write_upload(item)
                    set_provenance(
                        corpus, item.target.name, added_by=user,
                        added_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), confirmed=confirmed,
                    )  # fmt: skip
                if not entries:
                    return [], refused
                report = self.qa.build_index(progress=progress)
                kept = []
                for item, entry in entries:
                    if item.target.name in report.skipped:
                        refused[item.name] = report.skipped[item.target.name]
                        self._roll_back(item.target, indexed=False)
                        entry.done()
                    else:
                        kept.append((item, entry))
                if len(kept) < len(entries):
                    report = self.qa.build_index(progress=False)  # the refused ones leave no trace
                for item, entry in kept:
                    self.audit.record(user, "upload", item.target.name, original=item.name[-120:], upload=entry.id)
                    entry.done()
            except BaseException:
                for item, _ in entries:
                    self._roll_back(item.target, indexed=False)
                if entries and any(self._indexed(item.target.name) for item, _ in entries):
                    self._rebuild_quietly()
                raise
        index = self.qa.index
        added = []
        for item, _ in kept:
            name = item.target.name
            document = next((d for d in index.documents.values() if d.source == name), None)
            added.append(Added(item.target, report, document, sum(1 for c in index.chunks if c.source == name)))
        return added, refused

    def recover(self) -> list[str]:
        """Finish or roll back every upload whose process died; returns what was done, one line each."""
        if not self.journal.is_dir():
            return []
        done = []
        for path in sorted(self.journal.glob("*.json")):
            fd = os.open(path, os.O_RDWR)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another process is still working on it
                try:
                    entry = json.loads(os.read(fd, 1_000_000).decode("utf-8"))
                    target = Path(self.qa.settings.corpus_dir) / entry["target"]
                except (ValueError, KeyError, TypeError):
                    log.warning("unreadable upload journal %s removed", path.name)
                    path.unlink(missing_ok=True)
                    continue
                if target.exists() and self._indexed(target.name):
                    audited = any(e.get("upload") == entry.get("id") for e in self.audit.entries())
                    if not audited:  # killed between the index swap and the audit line
                        self.audit.record(
                            entry.get("user", "?"), "upload", target.name, original=entry.get("original", ""),
                            upload=entry.get("id"), recovered=True,
                        )  # fmt: skip
                    done.append(f"{target.name}: an interrupted upload was completed (it was indexed)")
                else:
                    self._roll_back(target, indexed=False)
                    self.audit.record(entry.get("user", "?"), "upload-rolled-back", target.name)
                    done.append(f"{target.name}: an interrupted upload was rolled back (it never reached the index)")
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        for line in done:
            log.warning("%s", line)
        return done

    def pending(self) -> list[str]:
        """The corpus files of uploads not finished (see :func:`pending_uploads`)."""
        return pending_uploads(Path(self.qa.settings.corpus_dir))

    # -- internals

    def _still_new(self, prepared: PreparedUpload, batch_digests: list[str] = ()) -> PreparedUpload:
        """``prepared`` checked again against the corpus as it is now (another upload may have
        landed while this one was being read, or earlier in the same batch): not a duplicate, and a
        file name still free."""
        corpus = Path(self.qa.settings.corpus_dir)
        if prepared.digest in batch_digests:
            raise CorpusError(f"{prepared.name}: the same text is already in this batch")
        duplicate = duplicate_of(corpus, prepared.text, self.qa.originals())
        if duplicate:
            raise CorpusError(f"{prepared.name}: the same text is already in the corpus as {duplicate}")
        if prepared.target.exists() or prepared.target.stem.lower() in _stems(corpus):
            return replace(prepared, target=target_path(corpus, prepared.name))
        return prepared

    def _indexed(self, source: str) -> bool:
        """True when the live build holds ``source``."""
        try:
            build = PolicyIndex.live_build(Path(self.qa.settings.index_dir))
            if build is None:
                return False
            documents = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, IndexCorruptError):
            return False
        return any(d.get("source") == source for d in documents if isinstance(d, dict))

    def _roll_back(self, target: Path, indexed: bool) -> None:
        target.unlink(missing_ok=True)
        try:
            forget_entry(Path(self.qa.settings.corpus_dir), target.name)
        except (OSError, ValueError):
            log.exception("could not remove the manifest entry of %s", target.name)
        if indexed:  # the index already holds it: build again without it
            self._rebuild_quietly()

    def _rebuild_quietly(self) -> None:
        try:
            self.qa.build_index(progress=False)
        except Exception:
            log.exception("rebuilding the index after a rollback failed")

    def _entry(self, target: Path, prepared: PreparedUpload, user: str) -> _JournalEntry:
        self.journal.mkdir(exist_ok=True)
        return _JournalEntry(
            self.journal / f"{target.name}.json",
            {"id": uuid.uuid4().hex, "target": target.name, "original": prepared.name[-120:], "user": user,
             "sha256": prepared.digest, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        )  # fmt: skip


def _stems(corpus: Path) -> set[str]:
    """Document ids taken by files already in the corpus (a.pdf and a.txt would share id "a")."""
    return {p.stem.lower() for p in corpus.iterdir() if p.is_file() and not p.name.startswith(".")}


def pending_uploads(corpus_dir: Path) -> list[str]:
    """The corpus files of uploads that are running or were interrupted (their journal entries)."""
    journal = Path(corpus_dir) / JOURNAL
    names = []
    for path in sorted(journal.glob("*.json")) if journal.is_dir() else []:
        try:
            names.append(json.loads(path.read_text(encoding="utf-8"))["target"])
        except (OSError, ValueError, KeyError, TypeError):
            names.append(path.stem)
    return names


class _JournalEntry:
    """One upload's journal file, locked while the upload runs; :meth:`done` removes it."""

    def __init__(self, path: Path, data: dict) -> None:
        self.path, self.data, self._fd = path, data, -1
        self.id = data["id"]
        self._done = False

    def __enter__(self) -> _JournalEntry:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.write(self._fd, json.dumps(self.data, ensure_ascii=False).encode("utf-8"))
        os.fsync(self._fd)
        return self

    def done(self) -> None:
        self._done = True

    def __exit__(self, *exc) -> None:
        # Rolled back or finished: either way the entry has nothing left to say. Removed
        # while still locked, so recovery never sees it half-way.
        if self._done or exc[0] is not None:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
