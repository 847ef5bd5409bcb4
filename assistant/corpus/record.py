"""What in a plan file is not plan content: web-page chrome and the publisher's record.

Chrome (浏览次数, 扫一扫在手机打开当前页, 版权所有 …) is never indexed. The publisher's
record lines (索引号, 文号, 发布机构, 公开日期 …) are facts about the document that staff
ask for; chunking makes them the document's record chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lines of web-page chrome around the plans: navigation, counters, share buttons, footers.
# They are kept in the file (spans stay exact) but never indexed as content.
_CHROME_LINE = re.compile(
    r"^\s*(?:"
    r"您当前的位置|首页\s*>>|浏览次数|字体[:：]|扫一扫在手机打开当前页|分享到|关闭\s*打印|打印\s*关闭"
    r"|.*版权所有|备案序号|.*ICP备|法定主动公开分类|[（(]信息公开形式"
    r"|政府信息公开\s*$|计划总结\s*$|【\s*字体"
    r")"
)
# Lines of the publisher's record (索引号, 文号, 发布机构, 公开日期 …): not plan content
# either, but facts about the document that staff ask for ("what is its 文号?"). They
# are indexed as the document's record chunk, apart from the plan's sections.
RECORD_LABELS = (
    "索引号", "信息名称", "文件编号", "文号", "生成日期", "成文日期", "内容概述", "发布日期", "发布时间",
    "信息来源", "来源", "发布机构", "发布部门", "发文机关", "公开日期", "公开方式", "废止日期", "主题分类",
    "组配分类", "有效性", "名称",
)  # fmt: skip
# What a publisher writes in a field it leaves empty.
_NONE_VALUES = frozenset({"无", "暂无", "空", "-", "—", "/"})
# Web pages pad labels with spaces ("索 引 号", "文  号"); the pattern allows them.
_LABEL = "|".join(r"[^\S\n]*".join(label) for label in RECORD_LABELS)
_RECORD_LINE = re.compile(rf"^\s*(?:{_LABEL})[^\S\n]*[:：]")
_TRAILING_CHROME = re.compile(r"\s*(?:浏览次数|字体)[:：]")
# A label is found even run into the previous value ("省卫生健康委员会文号:浙卫发…", as a PDF's text
# layer gives a portal header once its spacing is gone): the colon after it is what marks it.
_RECORD_FIELD = re.compile(rf"({_LABEL})[^\S\n]*[:：][^\S\n]*")


@dataclass(frozen=True)
class Line:
    """A line of a document with its character offsets (end excludes the newline)."""

    start: int
    end: int
    text: str

    @property
    def stripped(self) -> str:
        return self.text.strip()


def split_lines(text: str) -> list[Line]:
    """Split into lines keeping absolute character offsets."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        lines.append(Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


def is_chrome(line: str) -> bool:
    """True for lines that are not plan content: web-page chrome (浏览次数, 分享到,
    版权所有 …) and the publisher's record lines (see :func:`is_record_line`)."""
    return bool(_CHROME_LINE.match(line)) or is_record_line(line)


def is_record_line(line: str) -> bool:
    """True for a line of the publisher's record: "发布机构: 省卫生健康委员会 文  号: 浙卫发〔2022〕8号"."""
    return bool(_RECORD_LINE.match(line))


def record_fields(line: str) -> dict[str, str]:
    """The labelled values of a record line, labels without padding.

    "文件编号: 发布机构:市卫生健康委员会" → {"文件编号": "", "发布机构": "市卫生健康委员会"}:
    a label the publisher left blank maps to "".
    """
    if not is_record_line(line):
        return {}
    matches = list(_RECORD_FIELD.finditer(line))
    fields: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        value = line[match.end() : following.start() if following else len(line)]
        # Portals flatten their record table to "文号: | 无 |" cells: the bars are no part of it.
        value = re.sub(r"^[\s|]+|[\s|]+$", "", _TRAILING_CHROME.split(value)[0])
        value = "" if value in _NONE_VALUES else value
        label = re.sub(r"\s+", "", match.group(1))
        if label not in fields:
            fields[label] = value
    return fields
