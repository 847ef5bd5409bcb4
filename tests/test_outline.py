"""Questions about what a section contains are answered with its sub-headings."""

from __future__ import annotations


def test_section_parts_are_quoted_with_exact_spans(qa):
    answer = qa.ask("常州市2020年“坚守四大主业”具体包括哪四项工程？")
    assert not answer.abstained and answer.route.value == "outline"
    quotes = [c.quote for c in answer.citations]
    assert quotes == [
        "1.实施医疗服务能力提优工程",
        "2.实施公共卫生服务提质工程",
        "3.实施人口与家庭发展升级工程",
        "4.实施老龄健康事业维护工程",
    ]
    text = qa.index.documents["changzhou-2020"].text
    for citation in answer.citations:
        assert text[citation.start : citation.end] == citation.quote
        assert citation.section[0].startswith("(二)坚守四大主业")
        assert f"[{citation.n}]" in answer.answer


def test_outline_answers_only_what_it_recognises(qa):
    outline = qa.engine.outline
    analyze = qa.engine.analyzer.analyze
    for question in [
        "常州2020年坚守四大主业包括哪三项？",  # the plan lists four: not this section
        "哪些计划要求医疗机构设立公共卫生科？",  # a content question across plans
        "浙江2022年“健康大脑+”体系要重点建设哪些重大服务类应用？",  # asks for items, not parts
        "What does Changzhou's 'four main businesses' section include?",  # English: no heading words
        "杭州2023年坚守四大主业包括哪些？",  # no such plan
    ]:
        assert outline.answer(analyze(question)) is None, question
