"""Benchmark: the plans as real originals of every format, converted back by assistant.convert.

    python benchmarks/formats.py [--out /tmp/policyqa-formats] [--docs zhejiang,kaifeng] [--extra]
                                 [--formats chromium-pdf,libreoffice-pdf,scan-pdf,docx,html] [--json FILE]

For each source text (the five plans of corpus/, and with --extra the documents of
../shared/extra-docs/) every format is produced with its real producer (tests/formats.py) into
``--out/<format>/``, then converted, and per format the table gives: CER against the source
(CJK + digits, table statements left out), radical/compatibility code points left, pages per
minute, seconds per document, share of pages with text spans, and the share of the source's
sentences found whole. The .docx and its LibreOffice PDF carry a target table made of the plan's
own "X达Y" clauses (see ``tests.formats.indicator_table``); the portal page carries it too.

``make_corpus(format, out_dir)`` writes one folder per format holding only the originals. With
``--answers`` each format's folder is then indexed as a corpus of its own (through the project's
own loading: assistant.corpus.Originals, the conversion cache, the chunker) and the question sets
(``--sets``, default gold and fresh) are asked of it and of the .txt corpus in the same run; per
format: plans whose metadata (title, region, level, year, 文号) matches the .txt's, hit@5, answer
accuracy, answerable questions withheld, radical code points in any chunk, and the share of
citations of paged originals that carry their page. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.convert import ConversionError, Converted, convert  # noqa: E402
from assistant.convert.cleanup import radical_count  # noqa: E402
from tests import formats as F  # noqa: E402

log = logging.getLogger("benchmarks.formats")

FORMATS = ("chromium-pdf", "libreoffice-pdf", "scan-pdf", "docx", "html")
SUFFIX = {"chromium-pdf": ".pdf", "libreoffice-pdf": ".pdf", "scan-pdf": ".pdf", "docx": ".docx", "html": ".html"}
EXTRA = ROOT.parent / "shared" / "extra-docs"


def sources(extra: bool, only: list[str] | None) -> dict[str, Path]:
    """Source texts by stem: corpus/*.txt, and with ``extra`` ../shared/extra-docs/*.txt."""
    paths = sorted((ROOT / "corpus").glob("*.txt"))
    if extra:
        paths += sorted(EXTRA.glob("*.txt"))
    found = {p.stem: p for p in paths}
    if only:
        found = {stem: path for stem, path in found.items() if any(o in stem for o in only)}
    return found


def make_original(fmt: str, text: str, target: Path, work: Path) -> Path:
    """Write ``text`` as an original of format ``fmt`` at ``target`` (helpers' files go in ``work``)."""
    table = F.indicator_table(text)
    table = table if len(table) > 1 else None  # a plan without figures gets no (empty) table
    if fmt == "chromium-pdf":
        # Printed in the work folder: the print .html beside the PDF would be indexed as a plan too.
        F.write_chromium_pdf(text, work / target.name).replace(target)
        return target
    if fmt == "scan-pdf":
        printed = work / f"{target.stem}.print.pdf"
        if not printed.exists():
            F.write_chromium_pdf(text, printed)
        return F.scan_pdf(printed, target, F.ScanStyle(dpi=150, skew=1.5))
    if fmt == "docx":
        return F.write_docx(text, target, table)
    if fmt == "libreoffice-pdf":
        docx = F.write_docx(text, work / f"{target.stem}.docx", table)
        printed = F.libreoffice_pdf(docx, work)
        printed.replace(target)
        return target
    if fmt == "html":
        target.write_text(F.portal_html(text, F.title_of(text), table), encoding="utf-8")
        return target
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def make_corpus(fmt: str, out_dir: Path, docs: dict[str, Path] | None = None) -> Path:
    """Write every source document as an original of ``fmt`` into ``out_dir/<fmt>/``; returns that folder.

    The folder holds only the originals (``<stem><suffix>``), ready to be indexed as a corpus of its
    own; helper files (print HTML, intermediate .docx) go to ``out_dir/.work/<fmt>/``.
    """
    docs = docs if docs is not None else sources(extra=False, only=None)
    folder = Path(out_dir) / fmt
    work = Path(out_dir) / ".work" / fmt
    folder.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    for stem, path in docs.items():
        target = folder / f"{stem}{SUFFIX[fmt]}"
        if not target.exists():
            make_original(fmt, path.read_text(encoding="utf-8"), target, work)
    return folder


@dataclass
class Row:
    """One converted document."""

    fmt: str
    doc: str
    pages: int
    seconds: float
    cer: float
    radicals: int
    pages_with_spans: float
    whole: float
    kind: str
    error: str = ""


def without_tables(result: Converted) -> str:
    """The converted text without its table statements (they are not in the source text)."""
    text, cut = result.text, 0
    for table in result.tables:
        text = text[: table.start - cut] + text[table.end - cut :]
        cut += table.end - table.start
    return text


def measure(fmt: str, stem: str, original: Path, source: str) -> Row:
    """Convert ``original`` and compare it with ``source``."""
    started = time.monotonic()

    tty = sys.stderr.isatty()

    def progress(done: int, total: int, message: str) -> None:
        if done < total and tty:
            print(f"\r  {fmt:16} {stem:22} {message:16}", end="", file=sys.stderr, flush=True)
        elif done < total and fmt == "scan-pdf" and done % 5 == 0:  # OCR: a line now and then for logs
            print(f"  {fmt:16} {stem:22} {message}", file=sys.stderr, flush=True)

    try:
        result = convert(original, progress=progress)
    except ConversionError as err:
        return Row(fmt, stem, 0, time.monotonic() - started, 1.0, 0, 0.0, 0.0, "error", str(err))
    finally:
        if tty:
            print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)
    body = without_tables(result)
    spans = sum(1 for p in result.pages if p.end > p.start)
    return Row(
        fmt=fmt,
        doc=stem,
        pages=len(result.pages),
        seconds=result.seconds,
        cer=F.cer(source, body),
        radicals=radical_count(result.text),
        pages_with_spans=spans / max(1, len(result.pages)),
        whole=F.whole_share(source, body),
        kind=result.kind,
    )


def summary(rows: list[Row]) -> list[dict]:
    """Per format: mean CER, radicals left, pages/min, s/doc, pages with spans, whole sentences, errors."""
    out = []
    for fmt in FORMATS:
        mine = [r for r in rows if r.fmt == fmt]
        good = [r for r in mine if not r.error]
        if not mine:
            continue
        seconds = sum(r.seconds for r in good)
        out.append(
            {
                "format": fmt,
                "docs": len(mine),
                "errors": len(mine) - len(good),
                "cer_mean": statistics.fmean(r.cer for r in good) if good else None,
                "cer_max": max((r.cer for r in good), default=None),
                "radicals_left": sum(r.radicals for r in good),
                "pages": sum(r.pages for r in good),
                "pages_per_min": 60 * sum(r.pages for r in good) / seconds if seconds else None,
                "s_per_doc": seconds / len(good) if good else None,
                "pages_with_spans": statistics.fmean(r.pages_with_spans for r in good) if good else None,
                "whole_sentences": statistics.fmean(r.whole for r in good) if good else None,
            }
        )
    return out


def print_table(table: list[dict]) -> None:
    """The summary as a Markdown table on stdout."""
    print(
        "| format | docs | pages | CER mean | CER max | radicals left | pages/min | s/doc "
        "| pages with spans | whole sentences | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in table:
        print(
            f"| {r['format']} | {r['docs']} | {r['pages']} | {_pct(r['cer_mean'], 2)} | {_pct(r['cer_max'], 2)} "
            f"| {r['radicals_left']} | {_num(r['pages_per_min'])} | {_num(r['s_per_doc'], 2)} "
            f"| {_pct(r['pages_with_spans'], 0)} | {_pct(r['whole_sentences'], 1)} | {r['errors']} |"
        )


def _pct(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/policyqa-formats"), help="folder for the originals")
    parser.add_argument("--docs", default="", help="comma-separated parts of document names to keep (default: all)")
    parser.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}")
    parser.add_argument("--extra", action="store_true", help="also the documents of ../shared/extra-docs/")
    parser.add_argument("--json", type=Path, default=None, help="results file (default: OUT/results.json)")
    parser.add_argument("--answers", action="store_true", help="also index each format and ask the question sets")
    parser.add_argument("--sets", default="gold,fresh", help="eval/ question sets for --answers (default gold,fresh)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    F.require_tools()
    docs = sources(args.extra, [d for d in args.docs.split(",") if d] or None)
    formats = [f for f in args.formats.split(",") if f]
    for fmt in formats:
        if fmt not in FORMATS:
            parser.error(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    rows: list[Row] = []
    for fmt in formats:
        started = time.monotonic()
        folder = make_corpus(fmt, args.out, docs)
        print(f"{fmt}: {len(docs)} originals in {folder} ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        for stem, path in docs.items():
            row = measure(fmt, stem, folder / f"{stem}{SUFFIX[fmt]}", path.read_text(encoding="utf-8"))
            rows.append(row)
            note = f" ERROR {row.error}" if row.error else ""
            print(
                f"  {fmt:16} {stem:22} {row.pages:3} pages {row.seconds:6.1f} s  CER {100 * row.cer:5.2f} %"
                f"  whole {100 * row.whole:5.1f} %{note}",
                file=sys.stderr,
            )
    table = summary(rows)
    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print_table(table)
    out = args.json or args.out / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"summary": table, "documents": [asdict(r) for r in rows]}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    print(f"\nwritten {out}", file=sys.stderr)
    if args.answers:
        sets = [s for s in args.sets.split(",") if s]
        answers = answer_phase(formats, args.out, docs, sets)
        print_answers(answers)
        out.write_text(
            json.dumps(
                {"summary": table, "documents": [asdict(r) for r in rows], "answers": answers},
                ensure_ascii=False, indent=1,
            ),
            encoding="utf-8",
        )  # fmt: skip


METADATA_FIELDS = ("title", "region", "level", "year", "doc_number")


def _index_and_ask(folder: Path, index_dir: Path, sets: list[str]) -> dict:
    """Index ``folder`` as a corpus (embedding cache of the project's index copied) and run the sets."""
    import shutil

    from assistant.config import Settings
    from assistant.interfaces.evaluation import load_gold, run_gold
    from assistant.pipeline import PolicyQA

    cache = ROOT / "index" / "cache"
    if cache.is_dir() and not (index_dir / "cache").exists():
        shutil.copytree(cache, index_dir / "cache")
    settings = Settings.from_env(corpus_dir=folder, index_dir=index_dir)
    started = time.monotonic()
    qa = PolicyQA.open(settings, progress=False)
    built = time.monotonic() - started
    questions = [q for name in sets for q in load_gold(ROOT / "eval" / f"{name}.jsonl")]
    run = run_gold(qa, questions, k=5)
    summary = run.summary()
    documents = {d.doc_id: d for d in qa.index.documents.values()}
    radicals = sum(radical_count(c.text) for c in qa.index.chunks)
    return {
        "summary": summary, "documents": documents, "radicals": radicals, "index_seconds": built,
        "qa": qa, "questions": questions,
    }  # fmt: skip


def _paged_citation_share(qa, questions) -> float | None:
    """Share of citations of paged originals (PDF, scan) that name their page, over the answers given."""
    paged = with_page = 0
    for question in questions:
        answer = qa.ask(question.question)
        for citation in answer.citations:
            document = qa.index.documents.get(citation.doc_id)
            if document is not None and document.kind in ("pdf", "scan", "mixed", "image"):
                paged += 1
                with_page += citation.page is not None
    return with_page / paged if paged else None


def answer_phase(formats: list[str], out: Path, docs: dict[str, Path], sets: list[str]) -> list[dict]:
    """Each format's corpus indexed and asked, beside the .txt corpus; one row per format."""
    import shutil

    txt = out / "txt"
    txt.mkdir(parents=True, exist_ok=True)
    for stem, path in docs.items():
        shutil.copy(path, txt / f"{stem}.txt")
    baseline = _index_and_ask(txt, out / "index-txt", sets)
    rows = []
    for fmt in ["txt", *formats]:
        started = time.monotonic()
        result = baseline if fmt == "txt" else _index_and_ask(out / fmt, out / f"index-{fmt}", sets)
        same = sum(
            1 for doc_id, d in baseline["documents"].items()
            if doc_id in result["documents"]
            and all(getattr(d, f) == getattr(result["documents"][doc_id], f) for f in METADATA_FIELDS)
        )  # fmt: skip
        differing = {
            doc_id: {f: [getattr(d, f), getattr(result["documents"][doc_id], f)] for f in METADATA_FIELDS
                     if getattr(d, f) != getattr(result["documents"][doc_id], f)}
            for doc_id, d in baseline["documents"].items() if doc_id in result["documents"]
        }  # fmt: skip
        s = result["summary"]
        row = {
            "format": fmt,
            "plans": len(result["documents"]),
            "metadata_same": same,
            "metadata_differs": {k: v for k, v in differing.items() if v},
            "hit@5": s.get("hit@5"),
            "answer_accuracy": s.get("answer_accuracy"),
            "withheld": s.get("false_abstention_rate"),
            "radicals_in_chunks": result["radicals"],
            "paged_citations_with_page": _paged_citation_share(result["qa"], result["questions"][:60])
            if fmt.endswith("pdf")
            else None,
            "seconds": round(time.monotonic() - started, 1),
        }
        rows.append(row)
        shown = {k: v for k, v in row.items() if k != "metadata_differs"}
        print(f"answers {fmt}: {json.dumps(shown)}", file=sys.stderr)
    return rows


def print_answers(rows: list[dict]) -> None:
    print("\n| format | plans | metadata = .txt | hit@5 | answer accuracy | withheld | radicals in chunks "
          "| PDF citations with page |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        page = "—" if r["paged_citations_with_page"] is None else _pct(r["paged_citations_with_page"], 0)
        print(
            f"| {r['format']} | {r['plans']} | {r['metadata_same']}/{r['plans']} | {_num(r['hit@5'], 3)} "
            f"| {_num(r['answer_accuracy'], 3)} | {_pct(r['withheld'], 1)} | {r['radicals_in_chunks']} | {page} |"
        )
    for r in rows:
        for doc, fields in r["metadata_differs"].items():
            print(f"  {r['format']} {doc}: {fields}")


if __name__ == "__main__":
    main()
