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
    base = load_calibration("udhr-demo-v4")
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
    base = load_calibration("udhr-demo-v4")
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


def test_eval_rescore_gives_rated_pairs_today_s_signals_and_calibrate_fits_them_without_a_run(tmp_path):
    """Rated pairs of the demo sample, two runs: the ratings and texts stay, the signals are the stage's
    now (grounding among them), each run's pairs ranked among that run's documents."""
    rated = [json.loads(line) for line in (ROOT / "release/ratings/udhr-demo/pairs.jsonl").read_text().splitlines()]
    spanish = [p for p in rated if p["language"] == "spa"]
    chosen = [p for p in spanish if p["sample"] == "prompt-v1"][:20] + [p for p in spanish if p["sample"] == "prompt-v2"][:20]
    stale = [{**p, "signals": {**p["signals"], "grounding_en": None, "grounding_native": None}} for p in chosen]
    source = tmp_path / "rated.jsonl"
    source.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in stale), encoding="utf-8")
    cli = [sys.executable, "-m", "muri_gen.cli", "eval"]
    done = subprocess.run([*cli, "rescore", str(source), "-o", str(tmp_path / "rescored.jsonl")], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    rescored = [json.loads(line) for line in (tmp_path / "rescored.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in p.items() if k != "signals"} for p in rescored] == \
        [{k: v for k, v in p.items() if k != "signals"} for p in stale]
    assert all(p["signals"]["grounding_en"] is not None and p["signals"]["grounding_native"] is not None for p in rescored)
    assert all(p["signals"]["alignment_native"] is not None for p in rescored)  # 5+ documents per run to rank against
    # the signals the stored sample holds are what the stage gives today (ranked among more documents there)
    stored = {p["id"]: p["signals"] for p in chosen}
    assert all(p["signals"]["language_purity"] == stored[p["id"]]["language_purity"] for p in rescored)
    target = tmp_path / "refit.yaml"
    done = subprocess.run([*cli, "calibrate", "--with-pairs", str(tmp_path / "rescored.jsonl"), "-o", str(target)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Calibration.model_validate(yaml.safe_load(target.read_text())).fitted["rated_pairs"] == len(rescored)
    refused = subprocess.run([*cli, "calibrate", "-o", str(target)], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "--with-pairs" in refused.stderr


@pytest.mark.parametrize("english, form", [
    ("What is the difference between a king and a peasant?", "difference"),
    ("What is the purpose of the United Nations General Assembly?", "purpose"),
    ('What is the meaning of "Orphan!" in history?', "meaning"),
    ("Explain how individuals who have been persecuted can seek asylum.", "explain"),
    ("Can you please rest and enjoy your free time?", "yes_no"),
    ("What is the right to freedom of movement?", "what"),
    ("Hello there", "other"),
    (None, "unknown"),
    ("  ", "unknown"),
])
def test_a_request_form_is_read_from_the_english_wording(english, form):
    from muri_gen.curation.request_form import request_form

    assert request_form(english) == form
