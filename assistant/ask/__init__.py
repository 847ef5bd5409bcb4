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

from .filters import FilterDecision, FilterPolicy
from .question import Intents, Question, QuestionAnalyzer, QuestionError
from .retrieval import HybridRetriever, HybridSearcher
from .router import AskRequest, Router, build_ask_chain

__all__ = [
    "AskRequest",
    "FilterDecision",
    "FilterPolicy",
    "HybridRetriever",
    "HybridSearcher",
    "Intents",
    "Question",
    "QuestionAnalyzer",
    "QuestionError",
    "Router",
    "build_ask_chain",
]
