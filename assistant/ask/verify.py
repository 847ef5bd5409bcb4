"""Verification: does the quoted evidence meet what the question asks for, and how sure is the answer?

A wrong figure from the wrong plan is the worst answer. Before an extractive answer is
shown, :class:`Verifier` checks the candidate sentences against every constraint the
question states (:class:`~.question.Constraint`: a unit, a figure, a rank, an age, a
population, a named programme, a year and whether it asks what was *achieved* or what is
*planned*, a record field) and computes the relevance signals the ranking already has
(sentence match, passage similarity, topic coverage, margin to the runner-up).

Each check grades, not vetoes (:class:`Grade`): **met**, **contradicted** (the sentence states
another year, unit, group or figure, or nothing of the kind at all) or **unknown** (it states
something the parsers cannot read as what was asked: "70余次" for a count, a figure without a
unit). One decision follows:

- a constraint every candidate contradicts → **near miss** ("计划未给出…；最接近的是…") when
  the evidence is on the question's topic, else **abstained**;
- an unknown check does not withhold: it is shown on the answer ("未核实：单位") and counted
  in the ``unverified`` signal;
- otherwise the calibrated model (:class:`Calibration`, a logistic regression over the
  signals, fitted with cross-validation by ``policyqa calibrate``) gives the probability
  that the answer is right; under ``answer_min_confidence`` → **abstained**, else
  **answered**, and the probability is shown as the answer's confidence.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path

from ..figures import COUNT, PEOPLE, PER_THOUSAND, PERCENT, POINTS, TIMES, YEARS, YUAN, extract_figures
from ..index import PolicyIndex
from ..schema import Hit
from ..text import DOC_NUMBER, squeeze_cjk_spaces
from . import patterns
from .question import Constraint, Question
from .sentences import ScoredSentence, has_figure, states_record_field

# The signals of the decision. The last three are the hand-set gates of earlier versions
# (best sentence under the answer threshold; a Chinese question's best passage under
# min_passage_similarity_zh; an English question's topic phrases under min_topic_coverage),
# kept as signals so that the fitted model, not a fixed rule, weighs them.
FEATURES = (
    "match_margin", "dense_top", "english", "dense_english", "topic_share", "coverage", "score_gap", "absent_terms",
    "below_threshold", "off_topic_zh", "topic_missing_en", "unverified",
)  # fmt: skip

# The canonical units of assistant.figures that are rates (never written with 万 or 亿).
_RATES = frozenset({PERCENT, PER_THOUSAND, POINTS, "per 10,000", "per 100,000"})
# The canonical units of assistant.figures that state a figure in each unit a question may ask for.
_DEMANDED_UNITS = {
    "yuan": {YUAN},
    "per 1,000": {PER_THOUSAND},
    "per 100,000": {"per 100,000"},
    "hours": {"hours"},
    "people": {PEOPLE, "person-times"},
    "count": {COUNT, TIMES},
    "beds": set(),  # 张 is one measure word of many (count): only "…张" itself states beds
    "rate": _RATES,
}


class Grade(str, Enum):
    """What one check of one sentence found."""

    MET = "met"
    CONTRADICTED = "contradicted"  # it states something else (another year, unit, group), or nothing
    UNKNOWN = "unknown"  # it states something the parsers cannot read as what was asked


def named_share(text: str, groups: Sequence[tuple[Sequence[str], float]]) -> float | None:
    """Weighted share of the groups (alternative words, weight) that ``text`` names at least
    one word of; None when there is no weight to share."""
    total = sum(weight for _, weight in groups)
    if not total:
        return None
    return sum(weight for words, weight in groups if any(w in text for w in words)) / total


@dataclass
class Check:
    """One constraint of the question against the evidence, graded."""

    constraint: Constraint
    grade: Grade

    @property
    def met(self) -> bool:
        return self.grade is Grade.MET

    def to_json(self) -> dict:
        kind, label = self.constraint.kind, self.constraint.label
        return {"kind": kind, "asked": label, "grade": self.grade.value, "met": self.met}


@dataclass
class Verification:
    """What the evidence meets, the signals, and the calibrated confidence."""

    checks: list[Check]
    features: dict[str, float]
    confidence: float
    on_topic: bool
    evidence: list[ScoredSentence] = field(default_factory=list)  # the sentences that best meet the constraints

    @property
    def unmet(self) -> list[Constraint]:
        """The constraints the evidence contradicts: what withholds the answer."""
        return [c.constraint for c in self.checks if c.grade is Grade.CONTRADICTED]

    @property
    def unverified(self) -> list[Constraint]:
        """The constraints the evidence neither meets nor contradicts: shown on the answer."""
        return [c.constraint for c in self.checks if c.grade is Grade.UNKNOWN]

    def to_json(self) -> dict:
        return {
            "constraints": [c.to_json() for c in self.checks],
            "signals": {k: round(v, 4) for k, v in self.features.items()},
            "confidence": round(self.confidence, 3),
        }


class Calibration:
    """A logistic regression over the verification signals: P(the extractive answer is right).

    Loaded from a JSON file written by ``policyqa calibrate`` ({"features", "mean", "scale",
    "weights", "bias", "fitted_on"}); the bundled one is ``assistant/data/verifier.json``.
    """

    def __init__(self, features: Sequence[str], mean, scale, weights, bias: float, fitted_on: str = "") -> None:
        if list(features) != list(FEATURES):
            raise ValueError(f"the calibration model has features {list(features)}, this policyqa uses {FEATURES}")
        self.mean, self.scale, self.weights, self.bias = list(mean), list(scale), list(weights), float(bias)
        self.fitted_on = fitted_on

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calibration:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = (resources.files("assistant") / "data" / "verifier.json").read_text(encoding="utf-8")
        data = json.loads(text)
        return cls(
            data["features"], data["mean"], data["scale"], data["weights"], data["bias"], data.get("fitted_on", "")
        )

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(
            w * (features[name] - m) / s
            for name, w, m, s in zip(FEATURES, self.weights, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


class Verifier:
    """Checks candidate evidence against a question's constraints and scores its reliability.

    Args:
        index: the loaded index (IDF for topic words).
        calibration: the fitted model.
        tokenizer: Chinese tokenizer (the index's).
        topic_rarest_words, topic_mention_share, min_topic_coverage, passages: see Settings.
    """

    def __init__(
        self,
        index: PolicyIndex,
        calibration: Calibration,
        topic_rarest_words: int,
        topic_mention_share: float,
        passages: int,
        entity_max_word_freq: int,
        min_passage_similarity_zh: float,
        min_topic_coverage: float,
    ) -> None:
        self.index = index
        self.calibration = calibration
        self.tokenizer = index.lexical.tokenizer
        self.topic_rarest_words = topic_rarest_words
        self.topic_mention_share = topic_mention_share
        self.passages = passages
        self.entity_max_word_freq = entity_max_word_freq
        self.min_passage_similarity_zh = min_passage_similarity_zh
        self.min_topic_coverage = min_topic_coverage

    # -- topic words -----------------------------------------------------------------------

    def weighted_phrases(self, phrases: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, Sequence[str], float]]:
        """Each English topic phrase with its weight: the IDF of its rarest Chinese term."""
        lexical = self.index.lexical
        return [
            (phrase, terms, max(lexical.idf(t) for term in terms for t in (lexical.tokenizer.tokenize(term) or [term])))
            for phrase, terms in phrases
        ]

    def topic_words(self, question: Question) -> list[tuple[Sequence[str], float]]:
        """What a sentence must mention to be about the question, as (alternatives, weight).

        English: the topic phrases (term map) weighted by IDF, less those that only name
        the unit. Chinese: the topic's rarest content words (孕产妇死亡率, not 控制 or 以内).
        """
        units = question.intents.units
        if question.english:
            return [
                (terms, weight)
                for _, terms, weight in self.weighted_phrases(question.phrases)
                if not any(unit.met_by(term) for unit in units for term in terms)
            ]
        lexical = self.index.lexical
        words = {
            t for t in self.tokenizer.tokenize(question.match_text) if len(t) >= 2 and t not in patterns.FORM_WORDS
        }
        words = {t for t in words if not any(unit.met_by(t) for unit in units)}
        rarest = sorted(words, key=lambda t: (-lexical.idf(t), t))[: self.topic_rarest_words]
        return [([t], lexical.idf(t)) for t in rarest]

    def mentions(self, sentence: str, topic_words: list[tuple[Sequence[str], float]]) -> bool:
        share = named_share(squeeze_cjk_spaces(sentence), topic_words)
        return share is None or share >= self.topic_mention_share

    # -- constraints -----------------------------------------------------------------------

    def meets(self, constraint: Constraint, sentence: ScoredSentence, closest: ScoredSentence, topic_words) -> bool:
        """Whether one candidate sentence meets one constraint of the question."""
        return self.grade(constraint, sentence, closest, topic_words) is Grade.MET

    def grade(self, constraint: Constraint, sentence: ScoredSentence, closest: ScoredSentence, topic_words) -> Grade:
        """What one candidate sentence states about one constraint of the question."""
        kind = constraint.kind
        on_topic = sentence is closest or self.mentions(sentence.text, topic_words)
        if not on_topic and sentence.hit.chunk.section:
            # The deepest heading names what its sentences are about: under "（十七）开展农村妇女
            # “两癌”筛查", "为1.82万…妇女免费提供宫颈癌、乳腺癌筛查" is on the topic.
            on_topic = self.mentions(sentence.hit.chunk.section[-1], topic_words)
        if kind == "unit":
            if not on_topic:
                return Grade.CONTRADICTED
            if constraint.unit.met_by(sentence.text):
                return Grade.MET
            return self._grade_unit(constraint, sentence.text)
        if kind == "figure":
            if not on_topic:
                return Grade.CONTRADICTED
            if has_figure(sentence.text):
                return Grade.MET
            figures = extract_figures(sentence.text)
            return Grade.UNKNOWN if any(f.text[:1].isdigit() for f in figures) else Grade.CONTRADICTED
        if kind == "time":
            return self._grade_time(constraint, sentence)
        return Grade.MET if self._meets_other(constraint, sentence) else Grade.CONTRADICTED

    @staticmethod
    def _grade_unit(constraint: Constraint, text: str) -> Grade:
        """A sentence whose figures are all in other units contradicts the unit asked for; one
        with a figure whose unit the parser cannot name (a bare "1.82万") leaves it unknown."""
        wanted = _DEMANDED_UNITS.get(constraint.unit.name if constraint.unit else "", set())
        figures = [f for f in extract_figures(text) if f.unit != YEARS]  # ages qualify, they do not count
        if any(f.unit in wanted for f in figures):
            return Grade.MET
        # A bare number in digits may be in the unit asked for ("9.5以下" of a rate per 100,000);
        # a bare Chinese numeral is a name far more often (十九届, 二十大).
        unitless = [f for f in figures if not f.unit and f.text[:1].isdigit()]
        if wanted & _RATES:
            # A rate is never written with a multiplier: "1.82万" counts people, it is no rate.
            unitless = [f for f in unitless if not re.search(r"[万亿千]|thousand|million", f.text)]
        return Grade.UNKNOWN if unitless else Grade.CONTRADICTED

    def _meets_other(self, constraint: Constraint, sentence: ScoredSentence) -> bool:
        text = squeeze_cjk_spaces(sentence.text)
        kind = constraint.kind
        if kind == "record_field":
            return states_record_field(sentence.text, set(constraint.alternatives))
        if kind == "doc_number":
            return bool(DOC_NUMBER.search(text))
        if kind == "total":
            return not patterns.PER_UNIT.search(text)
        if kind == "age":
            age = re.escape(constraint.alternatives[0])
            pattern = rf"(?<![\d.]){age}\s*(?:[-—~～至到]\s*\d+\s*)?周?岁|\d\s*[-—~～至到]\s*{age}\s*周?岁"
            return bool(re.search(pattern, text))
        if kind == "named":
            # The programme is named in the sentence or in the heading of its section.
            trail = "".join(sentence.hit.chunk.section)
            return any(word in text or word in trail for word in constraint.alternatives)
        return any(word in text for word in constraint.alternatives)

    def absent_terms(self, question: Question, hits: list[Hit]) -> list[str]:
        """Rare words of the question (terms, names: 岐黄, not 孩子) that the plans the answer
        would come from never mention: the plans do not cover that. Words jieba does not
        know (frequency 0) are left out: they are as often its own joins (要建) as names."""
        if not hits:
            return []
        texts = [squeeze_cjk_spaces(d.text) for d in {h.document.doc_id: h.document for h in hits}.values()]
        if question.english:
            candidates = [list(terms) for _, terms in question.phrases]
        else:
            words = self.tokenizer.tokenize(question.match_text)
            candidates = [
                [w]
                for w in words
                if len(w) >= 2
                and w not in patterns.FORM_WORDS
                and not patterns.INTERROGATIVE.search(w)
                and not any(w != other and w in other for other in words)  # whole words, not their parts
                and 0 < self.tokenizer.word_frequency(w) < self.entity_max_word_freq
                and not w.isascii()
            ]
        return [group[0] for group in candidates if group and not any(t in text for t in group for text in texts)]

    @staticmethod
    def _grade_time(constraint: Constraint, sentence: ScoredSentence) -> Grade:
        """A year asked as achieved needs a statement about that year looking back (a review
        section, a summary of that year, a later document naming it); asked as planned, the
        plan of that year or a target for it. A sentence that names only other years, a review
        of another year, a plan asked for results, a document that does not plan the year asked
        for its target contradict it; a results question on a passage whose document neither
        plans nor reviews the year is unknown."""
        year = constraint.year
        chunk, document = sentence.hit.chunk, sentence.hit.document
        named = {int(y) for y in patterns.YEAR.findall(sentence.text)}
        if named and year not in named and not any(y > year for y in named if constraint.period == "target"):
            # "预计2022年…" answers nothing about 2023; "到2025年" may hold a plan's target.
            return Grade.CONTRADICTED
        # The years the whole document (outside review sections) plans and reviews; a document
        # indexed before coverage was kept plans its own year.
        whole = [c for c in document.covers if c.whole_document]
        planned = {c.year for c in whole if c.role == "planned"} if whole else {document.year}
        reviewed = {c.year for c in whole if c.role == "reviewed"}
        if constraint.period == "achieved":
            if chunk.about_year == year or (year in named and (document.year or 0) > year):
                return Grade.MET
            if chunk.about_year is None and year in reviewed:
                return Grade.MET  # a summary of that year ("2024年度工作总结")
            if chunk.about_year is not None or year in planned:
                return Grade.CONTRADICTED  # a review of another year; the plan of that year states targets
            return Grade.UNKNOWN
        if year in named or (chunk.about_year is None and year in planned):
            return Grade.MET  # the plan of that year, a period it covers ("(2024-2027年)"), a horizon
        # What was done is no target; a document that does not plan the year (a summary filed
        # under it) states none for it.
        return Grade.CONTRADICTED

    def meets_all(self, question: Question, sentence: ScoredSentence, scored: list[ScoredSentence]) -> bool:
        """Whether one sentence meets every constraint of the question (in a comparison, the
        closest sentence is that of the sentence's own plan)."""
        topic_words = self.topic_words(question)
        own = [c for c in scored if c.hit.chunk.doc_id == sentence.hit.chunk.doc_id] or scored
        closest = max(own, key=lambda c: c.match)
        return all(self.meets(c, sentence, closest, topic_words) for c in question.constraints)

    def verify(
        self,
        question: Question,
        hits: list[Hit],
        scored: list[ScoredSentence],
        chosen: list[ScoredSentence],
        threshold: float,
    ) -> Verification:
        """Check ``chosen`` (and near runners-up) against the question; compute the signals.

        ``threshold`` is the language-scaled score of a clear answer; the match signal is
        measured from it.
        """
        topic_words = self.topic_words(question)
        closest = max(scored, key=lambda c: c.match)
        constraints = list(question.constraints)
        evidence = list(chosen)
        checks: list[Check] = []
        absent = self.absent_terms(question, hits)
        if constraints:
            # The evidence must meet every constraint in one sentence (the figure must be
            # the one for the asked population, year and unit), chosen or a close runner-up;
            # the sentences quoted are those that do (else the nearest, for a near miss).
            # A sentence that contradicts nothing (some checks unknown) may answer, its unknown
            # checks shown; only when every candidate contradicts a constraint is it a near miss.
            pool = chosen + [s for s in scored[: 3 * len(chosen) + 6] if s not in chosen]
            meeting: list[ScoredSentence] = []
            unresolved: list[tuple[ScoredSentence, list[Grade]]] = []
            best_sentence, best_key = None, (-1, 0)
            for sentence in pool:
                grades = [self.grade(c, sentence, closest, topic_words) for c in constraints]
                if all(g is Grade.MET for g in grades):
                    meeting.append(sentence)
                elif Grade.CONTRADICTED not in grades:
                    unresolved.append((sentence, grades))
                key = (sum(g is Grade.MET for g in grades), -sum(g is Grade.CONTRADICTED for g in grades))
                if key > best_key:
                    best_sentence, best_key = sentence, key
                    checks = [Check(c, g) for c, g in zip(constraints, grades, strict=True)]
            keep = max(len(chosen), 1)
            if meeting:
                checks = [Check(c, Grade.MET) for c in constraints]
                evidence = meeting[:keep]
            elif unresolved:
                grades = unresolved[0][1]
                checks = [Check(c, g) for c, g in zip(constraints, grades, strict=True)]
                evidence = [s for s, _ in unresolved][:keep]
            elif best_sentence is not None:
                evidence = [best_sentence, *(s for s in chosen if s is not best_sentence)][:keep]
        features = self.features(question, hits, scored, evidence or chosen, topic_words, threshold)
        features["absent_terms"] = float(min(2, len(absent)))
        features["unverified"] = float(min(2, sum(c.grade is Grade.UNKNOWN for c in checks)))
        features["below_threshold"] = float(features["match_margin"] < 0)
        features["off_topic_zh"] = float(
            not question.english and features["dense_top"] < self.min_passage_similarity_zh
        )
        features["topic_missing_en"] = float(question.english and features["topic_share"] < self.min_topic_coverage)
        threshold_margin = features["match_margin"]
        on_topic = threshold_margin >= 0 and features["topic_share"] >= 0.5
        return Verification(checks, features, self.calibration.probability(features), on_topic, evidence)

    def features(
        self,
        question: Question,
        hits: list[Hit],
        scored: list[ScoredSentence],
        chosen: list[ScoredSentence],
        topic_words,
        threshold: float,
    ) -> dict[str, float]:
        """The signals the decision is calibrated on (see FEATURES; ``absent_terms`` is added by verify)."""
        best = scored[0]
        closest = max(scored, key=lambda c: c.match)
        runner_up = next((s for s in scored[1:] if s.hit.chunk.chunk_id != best.hit.chunk.chunk_id), None)
        if question.english and question.phrases:
            text = squeeze_cjk_spaces("".join(h.chunk.text for h in hits[: self.passages]))
            share = named_share(text, [(terms, weight) for _, terms, weight in self.weighted_phrases(question.phrases)])
        elif question.english:
            share = 0.0  # no topic phrase the term map knows: nothing shows the passages are on topic
        else:
            share = named_share(squeeze_cjk_spaces("".join(c.text for c in chosen)), topic_words)
        english = 1.0 if question.english else 0.0
        dense = float(hits[0].dense_score) if hits else 0.0
        return {
            "match_margin": closest.match - threshold,
            "dense_top": dense,
            "english": english,
            "dense_english": dense * english,
            "topic_share": 1.0 if share is None else share,
            "coverage": self.coverage(question, chosen),
            "score_gap": best.score - runner_up.score if runner_up else 0.1,
        }

    def coverage(self, question: Question, chosen: list[ScoredSentence]) -> float:
        """IDF-weighted share of the question's content words (an English question's Chinese
        terms) that the quoted sentences contain: details the evidence lacks pull it down."""
        text = squeeze_cjk_spaces("".join(c.text for c in chosen))
        lexical = self.index.lexical
        if question.english:
            words = {t for t in question.terms if len(t) >= 2}
        else:
            words = {
                t for t in self.tokenizer.tokenize(question.match_text) if len(t) >= 2 and t not in patterns.FORM_WORDS
            }
        total = sum(lexical.idf(w) for w in words)
        if not total:
            return 1.0
        return sum(lexical.idf(w) for w in words if w in text) / total


def record_stated(question: Question, chosen: list[ScoredSentence]) -> bool:
    """True when a chosen sentence states a record field the question asks for."""
    return any(states_record_field(c.text, question.intents.record_fields) for c in chosen)
