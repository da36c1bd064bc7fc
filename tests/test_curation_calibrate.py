"""Calibration of the curate stage: the fit itself, then `eval export` -> ratings -> `eval calibrate`
on a curated run of Spanish UDHR pairs, and a recipe that uses the fitted file."""
import csv
import json
import random
import subprocess
import sys

import pytest
import yaml

from muri_gen.curation.calibrate import RatedPair, best_threshold, fit, fit_weights
from muri_gen.curation.score import Calibration, load_calibration

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def synthetic_pairs(n=200, seed=0):
    """Ratings that follow alignment and purity (and not degeneration), with noise: what the fit must find."""
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        signals = {"alignment_en": rng.random(), "language_purity": rng.choice([1.0, 1.0, 0.9, 0.6]),
                   "degeneration": rng.random()}
        alignment = max(1, min(5, round(1 + 4 * signals["alignment_en"] + rng.gauss(0, 0.5))))
        instruction = max(1, min(5, round(1 + 4 * (signals["language_purity"] - 0.5) * 2 + rng.gauss(0, 0.5))))
        pairs.append(RatedPair(str(i), "spa", signals, alignment, instruction))
    return pairs


def test_the_weights_follow_the_signals_that_predict_the_ratings():
    pairs = synthetic_pairs()
    weights = fit_weights(pairs, ["alignment_en", "language_purity", "degeneration"])
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert weights["alignment_en"] > 0.3 and weights.get("degeneration", 0) < 0.1


def test_the_threshold_trades_recall_for_precision_and_cross_validation_is_reported():
    pairs = synthetic_pairs()
    base = load_calibration("udhr-demo-v1")
    calibration = fit(pairs, base.model_copy(update={"floors": {}}), "synthetic")
    fitted = calibration.fitted
    assert fitted["rated_pairs"] == 200 and fitted["spearman"] > 0.6
    assert fitted["cross_validated"]["spearman"] > 0.5
    kept = fitted["at_min_score"]
    assert kept["precision_good"] > fitted["good_share"]  # keeping the top raises precision
    assert 0 < kept["kept"] < 200
    scored = [(calibration.score(p.signals), p) for p in pairs]
    cut, figures = best_threshold(scored)
    assert cut == calibration.min_score and figures["kept"] == kept["kept"]


def test_too_few_ratings_or_no_signals_are_refused_with_a_reason():
    base = load_calibration("udhr-demo-v1")
    with pytest.raises(ValueError, match="at least 10"):
        fit(synthetic_pairs(5), base, "x")
    no_signals = [RatedPair(str(i), "spa", {}, 3, 3) for i in range(20)]
    with pytest.raises(ValueError, match="no signal"):
        fit(no_signals, base, "x")


def my_rating(instruction: str) -> tuple[int, int]:
    """How I rated these pairs, reading each instruction against its Spanish article."""
    if instruction.startswith("¿Qué establece la Declaración"):
        return 3, 4  # on topic but vague: names the article instead of asking about its content
    if instruction.startswith("hey, what"):
        return 4, 2  # fits, but half English
    if instruction.startswith("hola"):
        return 1, 5  # fluent small talk, unrelated to the article
    if instruction.startswith("la ley de la madre"):
        return 2, 1  # a loop
    return 5, 5


@pytest.mark.slow
def test_eval_calibrate_fits_a_run_s_rated_sheets_and_a_recipe_can_use_the_result(tmp_path):
    from tests.test_curate_stage import curate, pairs

    # every pair stays in the run (filter: false), so the sheets span good and bad pairs
    out = curate(tmp_path, pairs(), "--set", "stages.curate.filter=false")
    sheets = tmp_path / "sheets"
    cli = [sys.executable, "-m", "muri_gen.cli"]
    subprocess.run([*cli, "eval", "export", str(out), "--output", str(sheets), "--per-lang", "100"], cwd=ROOT, check=True,
                   capture_output=True)
    sheet = sheets / "spa.csv"
    with open(sheet, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["alignment"], row["instruction_correctness"] = my_rating(row["instruction"])
        row["output_correctness"] = 5
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    target = tmp_path / "mine.yaml"
    done = subprocess.run([*cli, "eval", "calibrate", str(out), str(sheets), "--output", str(target)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "rank correlation with the ratings" in done.stdout
    calibration = Calibration.model_validate(yaml.safe_load(target.read_text()))
    assert calibration.name == "mine" and calibration.fitted["rated_pairs"] == len(rows)
    assert calibration.fitted["spearman"] > 0.4
    # the fitted file drives a new curation of the same pairs: the small talk and the loop are dropped
    again = curate(tmp_path / "again", pairs(), "--set", f"stages.curate.calibration={target}")
    scores = {line["id"]: line for line in map(json.loads, (again / "scores.jsonl").read_text().splitlines())}
    assert not scores["article-1"]["keep"] and not scores["article-25"]["keep"]
    assert scores["article-4"]["keep"]
