"""Stage 5, asking: a question → an :class:`~assistant.schema.Answer`, along one path.

- ``patterns``: every "what kind of question" pattern
- ``terms``: the English → Chinese term map
- ``question``: :class:`QuestionAnalyzer` → the typed :class:`Question` (analysed once)
- ``filters``: :class:`FilterPolicy`, how explicit filters and the question's combine
- ``retrieval``: :class:`HybridSearcher` (dense + BM25) and the LangChain retriever
- ``sentences``: :class:`SentenceScorer`, which sentences of the passages answer
- ``extractive``, ``outline``, ``responsibility``: the answerers of each route
- ``router``: :class:`Router`, which route a question takes, and the LangChain chain
"""

from importlib import import_module

# Names are imported on first use: the CLI needs QuestionError to start, and importing the
# retriever (LangChain) for `policyqa --help` would cost most of a second.
_WHERE = {
    "AskRequest": "router",
    "FilterDecision": "filters",
    "FilterPolicy": "filters",
    "HybridRetriever": "retrieval",
    "HybridSearcher": "retrieval",
    "Intents": "question",
    "Question": "question",
    "QuestionAnalyzer": "question",
    "QuestionError": "question",
    "Router": "router",
    "build_ask_chain": "router",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_WHERE)
