"""The calibrated answer decision: fitting, loading, and the reliability report."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from assistant.ask.verify import FEATURES, Calibration
from assistant.interfaces.cli import main
from assistant.interfaces.evaluation import load_gold, run_gold, write_report
from assistant.interfaces.evaluation.calibrate import Sample, fit

from .conftest import ROOT


def _samples(n: int = 200, seed: int = 3) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = int(rng.random() < 0.7)
        margin = rng.gauss(0.08 if label else -0.02, 0.03)
        features = [margin, rng.gauss(0.9, 0.02)] + [rng.random() for _ in FEATURES[2:]]
        out.append(Sample(f"s{i}", features, label))
    return out


def test_fit_separates_what_the_signals_separate_and_reports_cross_validation():
    model = fit(_samples())
    cv = model["cross_validation"]
    assert cv["samples"] == 200 and cv["folds"] == 5
    # The margin separates the classes: out of fold, most decisions are right.
    right = cv["answered_right"] + cv["withheld_wrong"]
    assert right / cv["samples"] > 0.9
    assert model["weights"][0] > 0 and 0.05 <= model["threshold"] <= 0.95
    calibration = Calibration(model["features"], model["mean"], model["scale"], model["weights"], model["bias"])
    high = dict(zip(FEATURES, [0.15, 0.9] + [0.5] * (len(FEATURES) - 2), strict=True))
    low = {**high, "match_margin": -0.1}
    assert calibration.probability(high) > 0.9 > 0.1 > calibration.probability(low)


def test_fit_refuses_data_with_one_class_only():
    samples = [Sample(f"s{i}", [0.0] * len(FEATURES), 1) for i in range(20)]
    with pytest.raises(ValueError, match="both right and wrong"):
        fit(samples)


def test_a_model_with_other_features_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": ["x"], "mean": [0], "scale": [1], "weights": [1], "bias": 0}))
    with pytest.raises(ValueError, match="features"):
        Calibration.load(path)


def test_calibrate_command_writes_a_loadable_model(built, tmp_path, capsys):
    settings, _ = built
    out = tmp_path / "verifier.json"
    paths = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q"]
    gold = ["--gold", str(ROOT / "eval" / "dev.jsonl"), "--gold", str(ROOT / "eval" / "offtopic.jsonl")]
    assert main(["calibrate", *gold, "--out", str(out), *paths]) == 0
    assert "threshold" in capsys.readouterr().out
    model = Calibration.load(out)
    assert model.fitted_on == "dev.jsonl, offtopic.jsonl"
    assert json.loads(out.read_text())["cross_validation"]["samples"] > 20


def test_calibrate_fits_sets_asked_over_their_own_documents(built, tmp_path, capsys):
    """A set over documents outside the corpus (here the fishery notice of eval/unseen) is asked
    over the corpus plus its folder, and its candidates join those of the corpus's sets."""
    settings, _ = built
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "eval" / "unseen" / "docs" / "fishery-moa-2017.txt", docs)
    lines = (ROOT / "eval" / "unseen" / "unseen-docs.jsonl").read_text(encoding="utf-8").splitlines()
    own = [line for line in lines if "fishery-moa-2017" in line]
    assert len(own) >= 8
    outside = tmp_path / "outside.jsonl"
    outside.write_text("\n".join(own) + "\n", encoding="utf-8")
    out = tmp_path / "verifier.json"
    paths = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir), "-q"]
    gold = ["--gold", str(ROOT / "eval" / "dev.jsonl"), "--gold-with-docs", str(outside), str(docs)]
    assert main(["calibrate", *gold, "--out", str(out), *paths]) == 0
    model = Calibration.load(out)
    assert model.fitted_on == "dev.jsonl, outside.jsonl"
    only_dev = tmp_path / "dev-only.json"
    assert main(["calibrate", "--gold", str(ROOT / "eval" / "dev.jsonl"), "--out", str(only_dev), *paths]) == 0
    samples = json.loads(out.read_text())["cross_validation"]["samples"]
    assert samples > json.loads(only_dev.read_text())["cross_validation"]["samples"]
    capsys.readouterr()


def test_calibrate_without_sets_says_what_to_give(capsys):
    assert main(["calibrate"]) == 2
    assert "--gold-with-docs" in capsys.readouterr().err


def test_report_has_a_reliability_table_and_diagram(qa, tmp_path):
    questions = load_gold(ROOT / "eval" / "offtopic.jsonl")[:6] + load_gold(ROOT / "eval" / "dev.jsonl")[:10]
    run = run_gold(qa, questions, 5)
    markdown, _ = write_report(run, "mini.jsonl", tmp_path)
    text = markdown.read_text(encoding="utf-8")
    assert "## Reliability of the confidence shown" in text
    assert (tmp_path / "mini-reliability.png").stat().st_size > 1000
