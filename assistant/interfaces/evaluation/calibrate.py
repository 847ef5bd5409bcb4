"""Fitting the answer decision: a logistic regression over the verification signals.

For every question of the given gold sets that reaches the extractive answerer with its
constraints met, :func:`collect` records the signals of the candidate answer (see
:data:`assistant.ask.verify.FEATURES`) and whether that answer would be right (an
answerable question whose gold answer keys the candidate contains, or some of them for a
list or a comparison). :func:`fit` fits an
L2-regularised logistic regression, estimates it out of fold (k-fold cross-validation)
and picks the confidence threshold that makes the fewest mistakes on the out-of-fold
probabilities, a withheld right answer costing ``abstain_cost`` and a wrong answer 1.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import numpy as np

from ...ask import AskRequest
from ...ask.verify import FEATURES
from .metrics import GoldQuestion, answer_keys
from .runner import filters_of


@dataclass
class Sample:
    id: str
    features: list[float]
    label: int  # 1 when answering with the candidate would be right


def collect(qa, questions: list[GoldQuestion], k: int = 5) -> list[Sample]:
    """Signals and labels of the candidate answers of ``questions`` (see the module docstring)."""
    engine = qa.engine
    samples = []
    for gold in questions:
        routed = engine.router.prepare(AskRequest(gold.question, filters_of(gold), k))
        question = routed.question
        if routed.decision.conflict or question.scope.unavailable:
            continue  # decided by the route, not by the calibrated decision
        hits = engine.searcher.search_question(question, k, routed.decision.applied)
        scored = engine.scorer.score(question, hits, question.intents.compare)
        if not scored:
            continue
        candidate = engine.extractive.candidate(question, hits, scored)
        if candidate.unmet:
            continue
        quoted = "".join(s.text for s in candidate.sentences)
        keys = answer_keys(gold.answer)
        found = [key in quoted for key in keys]
        # Answering is right when the quotes hold the answer; for a list or a comparison,
        # when they hold part of it (what is missing is a completeness question, not
        # whether to answer at all).
        partial = gold.type in ("list", "cross") and any(found)
        right = gold.answerable and bool(keys) and (all(found) or partial)
        features = candidate.verification.features
        samples.append(Sample(gold.id, [float(features[name]) for name in FEATURES], int(right)))
    return samples


def _train(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.diag([l2] * d + [0.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def fit(samples: list[Sample], folds: int = 5, l2: float = 1.0, abstain_cost: float = 1.0, seed: int = 7) -> dict:
    """The model (standardised features, weights, bias), its out-of-fold estimate and the threshold."""
    if len(samples) < 2 * folds or len({s.label for s in samples}) < 2:
        raise ValueError(f"need both right and wrong candidates, at least {2 * folds} in all (got {len(samples)})")
    x = np.array([s.features for s in samples], dtype=float)
    y = np.array([s.label for s in samples], dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    out_of_fold = np.zeros(len(samples))
    for fold in range(folds):
        test = np.array(order[fold::folds])
        train = np.setdiff1d(np.arange(len(samples)), test)
        w, b = _train(z[train], y[train], l2)
        out_of_fold[test] = 1 / (1 + np.exp(-(z[test] @ w + b)))
    thresholds = np.round(np.arange(0.05, 0.96, 0.01), 2)
    costs = [
        float(((out_of_fold >= t) & (y == 0)).sum() + abstain_cost * ((out_of_fold < t) & (y == 1)).sum())
        for t in thresholds
    ]
    best = float(thresholds[int(np.argmin(costs))])
    w, b = _train(z, y, l2)
    answered = out_of_fold >= best
    bins = []
    for lo in np.arange(0.0, 1.0, 0.1):
        inside = (out_of_fold >= lo) & ((out_of_fold < lo + 0.1) | (lo >= 0.9))
        if inside.any():
            bins.append(
                {
                    "confidence": f"{lo:.1f}-{lo + 0.1:.1f}",
                    "n": int(inside.sum()),
                    "mean_confidence": round(float(out_of_fold[inside].mean()), 3),
                    "share_right": round(float(y[inside].mean()), 3),
                }
            )
    return {
        "features": list(FEATURES),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "weights": w.round(6).tolist(),
        "bias": round(b, 6),
        "threshold": best,
        "cross_validation": {
            "folds": folds,
            "samples": len(samples),
            "right_candidates": int(y.sum()),
            "brier": round(float(((out_of_fold - y) ** 2).mean()), 4),
            "answered_right": int((answered & (y == 1)).sum()),
            "answered_wrong": int((answered & (y == 0)).sum()),
            "withheld_right": int((~answered & (y == 1)).sum()),
            "withheld_wrong": int((~answered & (y == 0)).sum()),
            "reliability": bins,
        },
    }


def write_model(model: dict, path, fitted_on: str) -> None:
    path.write_text(
        json.dumps({**model, "fitted_on": fitted_on}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
