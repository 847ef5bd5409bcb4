"""Tables leaving policyqa as files: CSV cells that cannot become formulas, Markdown that
cannot become markup. Shared by every export (comparisons, targets against results)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection");
# tab and carriage return start one in some programs too.
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text: a leading =, +, -, @ gets a ' first."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_LEAD) else text


def to_csv(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """A CSV table (header first) whose every cell went through :func:`csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def md_text(value: object) -> str:
    """``value`` as Markdown text that renders as itself: no HTML, links, emphasis or table breaks."""
    text = "" if value is None else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\r", "").replace("\n", " "))
