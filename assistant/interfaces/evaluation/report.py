"""The evaluation report: Markdown with breakdowns and failing questions, and charts."""

from __future__ import annotations

from pathlib import Path

from .runner import EvalRun

_HEADLINE = ("hit@{k}", "mrr@10", "ndcg@10", "evidence_recall@{k}", "budget_recall@2000", "answer_accuracy")


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def reliability(run: EvalRun, bins: int = 5) -> list[dict]:
    """Answers given, binned by the confidence shown with them: how often each bin was right.

    Only replies that claim to answer (status "answered") say "I am this sure"; a reliable
    confidence makes the share right in each bin close to its mean confidence.
    """
    points = [
        (r.confidence, bool(r.answerable and r.answer_correct))
        for r in run.results
        if r.confidence is not None and r.status == "answered"
    ]
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in points if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if inside:
            rows.append(
                {
                    "bin": f"{lo:.1f}–{hi:.1f}",
                    "n": len(inside),
                    "mean_confidence": sum(c for c, _ in inside) / len(inside),
                    "share_right": sum(ok for _, ok in inside) / len(inside),
                }
            )
    return rows


def render_markdown(
    run: EvalRun,
    gold_name: str,
    chart_name: str | None = None,
    metadata: dict | None = None,
    reliability_name: str | None = None,
) -> str:
    """The human report: headline metrics, breakdowns by type and language, failures."""
    k = run.k
    summary = run.summary()
    lines = [f"# policyqa evaluation — {gold_name}", ""]
    lines += [f"{summary['questions']} questions ({summary['answerable']} answerable), k = {k}.", ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {key} | {_fmt(value)} |" for key, value in summary.items() if key not in ("questions", "answerable")]
    if chart_name:
        lines += ["", f"![metrics by type and language]({chart_name})"]
    if metadata:
        lines += ["", f"## Document metadata ({metadata['right']} / {metadata['total']} right)", ""]
        lines += ["| file | expected | inferred | |", "|---|---|---|---|"]
        for source, row in metadata["documents"].items():
            shown = [" ".join(str(v) for v in row[key].values()) for key in ("expected", "inferred")]
            lines.append(f"| {source} | {shown[0]} | {shown[1]} | {'✓' if row['right'] else '✗'} |")
    bins = reliability(run)
    if bins:
        lines += ["", "## Reliability of the confidence shown", ""]
        lines += ["| confidence | answers | mean confidence | share right |", "|---|---|---|---|"]
        lines += [f"| {b['bin']} | {b['n']} | {b['mean_confidence']:.2f} | {b['share_right']:.2f} |" for b in bins]
        if reliability_name:
            lines += ["", f"![reliability]({reliability_name})"]
    columns = [c.format(k=k) for c in _HEADLINE] + ["abstention_recall", "false_abstention_rate"]
    for group in ("type", "lang"):
        lines += ["", f"## By {group}", "", "| " + group + " | n | " + " | ".join(columns) + " |"]
        lines.append("|---" * (len(columns) + 2) + "|")
        for name, values in run.breakdown(group).items():
            cells = [_fmt(values.get(c)) for c in columns]
            lines.append(f"| {name} | {values['questions']} | " + " | ".join(cells) + " |")
    failures = run.failures()
    lines += ["", f"## Failing questions ({len(failures)})", ""]
    for r in failures:
        why = []
        if r.answerable and (r.first_rank is None or r.first_rank > k):
            why.append(f"evidence not in top {k} (first at rank {r.first_rank})")
        if r.answer_correct is False:
            why.append("answer lacks the gold key" + (" (abstained)" if r.abstained else ""))
        if not r.answerable and r.abstained is False:
            why.append("should have abstained")
        lines.append(f"- **{r.id}** [{r.type}/{r.lang}] {r.question} — {'; '.join(why)}")
        lines.append(f"  - answer: {' '.join(r.answer.split())[:200]}")
        lines.append("  - retrieved: " + "; ".join(r.retrieved[:3]))
    return "\n".join(lines) + "\n"


def render_chart(run: EvalRun, path: Path) -> None:
    """Bar chart of hit@k, MRR@10 and answer accuracy by question type and by language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = run.k
    metrics = [f"hit@{k}", "mrr@10", "answer_accuracy"]
    groups = [(f"type: {n}", v) for n, v in run.breakdown("type").items() if n != "unanswerable"]
    groups += [(f"lang: {n}", v) for n, v in run.breakdown("lang").items()]
    groups.append(("all", run.summary()))
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [float(v.get(metric, 0.0)) for _, v in groups]
        ax.bar([x + i * width for x in range(len(groups))], values, width, label=metric)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(groups))])
    ax.set_xticklabels([name for name, _ in groups], rotation=25, ha="right")
    ax.set_ylim(0, 1.05)
    ax.axhline(0.9, color="grey", linewidth=0.6, linestyle="--")
    ax.set_title("policyqa: retrieval and answer quality by question type and language")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def render_reliability(run: EvalRun, path: Path) -> bool:
    """Reliability diagram: mean confidence against the share of right replies, per bin."""
    bins = reliability(run, bins=10)
    if not bins:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, linestyle="--", label="perfectly calibrated")
    xs = [b["mean_confidence"] for b in bins]
    ys = [b["share_right"] for b in bins]
    ax.plot(xs, ys, marker="o", label="policyqa")
    for x, y, b in zip(xs, ys, bins, strict=True):
        ax.annotate(str(b["n"]), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence shown")
    ax.set_ylabel("share of answers that were right")
    ax.set_title("reliability (n per point)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def write_report(run: EvalRun, gold_name: str, directory: Path, metadata: dict | None = None) -> tuple[Path, Path]:
    """Write ``<stem>.md``, ``<stem>.png`` (and ``<stem>-reliability.png``) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = Path(gold_name).stem
    chart = directory / f"{stem}.png"
    render_chart(run, chart)
    diagram = directory / f"{stem}-reliability.png"
    has_diagram = render_reliability(run, diagram)
    markdown = directory / f"{stem}.md"
    markdown.write_text(
        render_markdown(run, gold_name, chart.name, metadata, diagram.name if has_diagram else None), encoding="utf-8"
    )
    return markdown, chart
