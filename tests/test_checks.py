"""Checks that grade, not veto: met / contradicted / unknown, on a plan outside corpus/.

The plan is made up for the test (a county without a plan in corpus/); each sentence states a
figure in a way the old all-or-nothing checks could not read, or states another measure.
"""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.figures import extract_figures
from assistant.pipeline import PolicyQA
from assistant.schema import Status

PLAN = """扬中市2023年卫生健康工作要点
一、基层卫生服务
（一）家庭医生。新建家庭医生工作室20多个，家庭医生签约服务覆盖率达到60%。
（二）妇幼健康。孕产妇死亡率控制在9.5以下。婴儿死亡率控制在3‰以下。
（三）健康教育。全年开展健康讲座70余次。
二、公共卫生
（一）疾病预防。65岁以上老年人健康管理率达到72%。
"""


@pytest.fixture(scope="module")
def qa(tmp_path_factory, embedder):
    base = tmp_path_factory.mktemp("checks")
    (base / "corpus").mkdir()
    (base / "corpus" / "yangzhong-2023.txt").write_text(PLAN, encoding="utf-8")
    qa = PolicyQA(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), embedder)
    qa.build_index(progress=False)
    return qa


def _grades(answer) -> dict[str, str]:
    return {c["kind"]: c["grade"] for c in answer.checks.get("constraints", [])}


def test_the_figure_parser_reads_approximate_counts():
    assert [(f.value, f.unit) for f in extract_figures("新建家庭医生工作室20多个")] == [(20.0, "count")]
    assert [(f.value, f.unit) for f in extract_figures("开展健康讲座70余次")] == [(70.0, "times")]


def test_a_count_written_as_20多个_meets_the_unit(qa):
    """The unit check used to want a digit right before 个; "20多个" is a count of 个."""
    answer = qa.ask("扬中市2023年新建多少个家庭医生工作室？")
    assert answer.status is Status.ANSWERED, answer.answer
    assert "20多个" in answer.answer and _grades(answer).get("unit") == "met"
    assert not answer.notes


def test_a_figure_in_another_unit_contradicts_and_withholds(qa):
    """3‰ is per 1,000: never given as a rate per 100,000."""
    answer = qa.ask("扬中市2023年婴儿死亡率每10万控制在多少以下？")
    assert answer.status is Status.NEAR_MISS, answer.answer
    assert _grades(answer).get("unit") == "contradicted"


def test_a_figure_without_its_unit_is_unknown_shown_not_withheld(qa):
    """ "9.5以下" states the target without "/10万": the unit cannot be verified, and says so."""
    answer = qa.ask("扬中市2023年孕产妇死亡率每10万控制在多少以下？")
    assert answer.status is Status.ANSWERED, answer.answer
    assert "9.5" in answer.answer and _grades(answer).get("unit") == "unknown"
    assert any(note.startswith("未核实：单位") and "not verified: unit" in note for note in answer.notes)


def test_a_sub_group_the_plan_does_not_count_stays_a_near_miss(qa):
    """The plan counts people aged 65 and over; 80 and over is not stated: never the total."""
    answer = qa.ask("扬中市2023年80岁以上老年人健康管理率是多少？")
    assert answer.status is not Status.ANSWERED, answer.answer
