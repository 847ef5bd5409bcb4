"""Charts for the page and the CLI: target against result over the years (matplotlib, no display).

Chinese labels need a CJK font: the first of the usual ones installed (Noto Sans/Serif CJK,
WenQuanYi, Source Han) is used; without one the chart is still drawn and a warning names
the package to install (``fonts-noto-cjk``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..crossdoc.track import Measure, Track, scale_of

log = logging.getLogger(__name__)

_CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK JP", "Noto Serif CJK JP", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Source Han Sans SC", "Source Han Serif SC", "SimHei", "Microsoft YaHei",
)  # fmt: skip
_KIND_LABELS = {"growth": "增速 growth (%)", "average growth": "年均增速 average growth (%)", "level": "总量 level"}


def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _display(measure: Measure, scale: tuple[str, float]) -> float:
    return measure.value / scale[1] if measure.unit != "%" else measure.value


def track_chart(track: Track, path: Path) -> Path:
    """Draw ``track`` as one panel per kind of measure (growth rate, level): the target of each
    year beside the result reported for it; write a PNG to ``path`` and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font is None:
        log.warning("no CJK font installed: Chinese labels of the chart show as boxes (apt install fonts-noto-cjk)")
    series: dict[tuple[str, str], dict[str, dict[int, float]]] = {}
    scales: dict[tuple[str, str], tuple[str, float]] = {}
    for row in track.rows:
        for side, statement in (("target", row.target), ("result", row.result)):
            for measure in statement.measures if statement else []:
                key = (measure.kind, measure.unit)
                if key not in scales:
                    scales[key] = scale_of(measure.text)
                series.setdefault(key, {"target": {}, "result": {}})[side].setdefault(
                    row.year, _display(measure, scales[key])
                )
    panels = [key for key in series if series[key]["target"]]
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context({**rc, "axes.unicode_minus": False}):
        figure, axes = plt.subplots(max(1, len(panels)), 1, figsize=(7, 2.6 * max(1, len(panels))), squeeze=False)
        for axis, key in zip(axes[:, 0], panels or [("level", "")], strict=False):
            data = series.get(key, {"target": {}, "result": {}})
            for side, style, label in (("target", "o--", "目标 target"), ("result", "s-", "结果 result")):
                points = sorted(data[side].items())
                if points:
                    axis.plot([y for y, _ in points], [v for _, v in points], style, label=label)
            kind, unit = key
            scale_name = scales.get(key, ("", 1.0))[0]
            axis.set_ylabel(_KIND_LABELS.get(kind, kind) + (f"（{scale_name}{unit}）" if unit != "%" else ""))
            axis.xaxis.get_major_locator().set_params(integer=True)
            axis.grid(alpha=0.3)
            axis.legend(loc="best", fontsize=8)
        axes[0, 0].set_title(f"{track.region} {track.topic}：目标与结果 target against result")
        figure.tight_layout()
        path = Path(path)
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return path
