"""LangChain's standard retriever suite (langchain-tests) run against HybridRetriever on the real index."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.ask import HybridRetriever


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    searcher = None

    @pytest.fixture(autouse=True)
    def _real_searcher(self, qa):
        # The suite builds the retriever from constructor params; the searcher is the session's.
        type(self).searcher = qa.searcher

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"searcher": self.searcher, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "遂宁2022年农村妇女两癌筛查"


def test_invoke_k_overrides_the_constructor_and_bad_k_is_refused(qa):
    retriever = qa.retriever(k=2)
    assert len(retriever.invoke("家庭医生签约")) == 2
    assert len(retriever.invoke("家庭医生签约", k=4)) == 4
    with pytest.raises(ValueError, match="k must be at least 1"):
        retriever.invoke("家庭医生签约", k=0)
