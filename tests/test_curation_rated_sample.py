"""The curate stage against the demo's rated sample (release/ratings/udhr-demo/): candidate pairs of
a demo run that raters read and scored on MURI's criteria, with the signals the stage gave them.

The shipped calibration is what `eval calibrate` fits to these pairs, its score agrees with the
ratings, and an instruction that fits its document scores above the same instruction given
another document of its language."""
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from muri_gen.curation.calibrate import spearman
from muri_gen.curation.score import DEFAULT_CALIBRATION, load_calibration
from muri_gen.report.evaluation import calibrate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "release" / "ratings" / "udhr-demo"
RATED = [json.loads(line) for line in (SAMPLE / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_sample_spans_the_demo_languages_and_both_ends_of_the_scale():
    by_language = defaultdict(list)
    for pair in RATED:
        by_language[pair["language"]].append(pair)
    assert len(RATED) >= 150
    assert all(len(by_language[code]) >= 20 for code in ("cat", "epo", "glg", "hbs", "por", "spa"))
    targets = [(p["ratings"]["alignment"] + p["ratings"]["instruction_correctness"]) / 2 for p in RATED]
    assert min(targets) <= 1.5 and max(targets) >= 4.5


def test_the_shipped_calibration_is_the_fit_to_the_sample_and_its_score_agrees_with_the_ratings():
    shipped = load_calibration(DEFAULT_CALIBRATION)
    refit = calibrate(RATED, DEFAULT_CALIBRATION, shipped.name, shipped.fitted["sheets"])
    assert refit.weights == shipped.weights
    assert refit.min_score == shipped.min_score and refit.floors == shipped.floors
    assert refit.fitted["spearman"] == shipped.fitted["spearman"]
    # the target, on pairs the fit never saw (5-fold, folds by document)
    assert refit.fitted["cross_validated"]["spearman"] >= 0.4
    # what the shipped weights give, recomputed from the stored signals and the request's form
    from muri_gen.curation.request_form import request_form

    scores = [shipped.score({**p["signals"], "request_form": shipped.form_value(request_form(p["instruction_en"]))})
              for p in RATED]
    targets = [(p["ratings"]["alignment"] + p["ratings"]["instruction_correctness"]) / 2 for p in RATED]
    assert spearman(*zip(*[(s, t) for s, t in zip(scores, targets) if s is not None])) >= 0.4


def test_the_samples_language_purity_is_what_the_checker_gives_today():
    """The stored signal the calibration is fitted to, recomputed: the pivot each language's translation
    went through in the demo (pipelines/demo.yaml's routes) is the contact language, as in the stage."""
    from muri_gen.curation.purity import PurityChecker

    via = {"spa": "por", "cat": "por", "glg": "por", "ita": "spa", "fra": "spa"}
    checked = PurityChecker().check_all([(p["instruction"], p["language"], p["output"],
                                          (via[p["language"]],) if p["language"] in via else ()) for p in RATED])
    assert [result.value for result in checked] == [p["signals"]["language_purity"] for p in RATED]
    made_up = [p for p, result in zip(RATED, checked) if result.unknown]
    rest = [p for p, result in zip(RATED, checked) if not result.unknown]

    def mean_instruction(pairs):
        return sum(p["ratings"]["instruction_correctness"] for p in pairs) / len(pairs)

    assert len(made_up) >= 30 and mean_instruction(made_up) < mean_instruction(rest) - 1  # what raters saw


@pytest.mark.slow
def test_a_fitting_instruction_scores_above_the_same_instruction_with_another_document(tmp_path):
    """Every pair rated alignment >= 4 against every other document of its language, scored together
    by `muri-gen curate` with the embedders and calibration of the demo, annotating (filtering, the
    stage does not embed a pair no alignment could keep, and both sides of such a swap would tie)."""
    documents = defaultdict(dict)
    for pair in RATED:
        documents[pair["language"]][pair["output"]] = pair["document_en"]
    fitting = [p for p in RATED if p["ratings"]["alignment"] >= 4]
    assert len(fitting) >= 20
    rows, mismatched = [], []
    for n, pair in enumerate(fitting):
        own = {"id": f"{n}", "input": pair["instruction"], "instruction_en": pair["instruction_en"],
               "output": pair["output"], "document_en": pair["document_en"], "language": pair["language"]}
        rows.append(own)
        for k, (other, other_en) in enumerate(documents[pair["language"]].items()):
            if other != pair["output"]:
                rows.append({**own, "id": f"{n}/{k}", "output": other, "document_en": other_en})
                mismatched.append((own["id"], f"{n}/{k}"))
    source = tmp_path / "pairs.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "curated"
    done = subprocess.run([sys.executable, "-m", "muri_gen.cli", "curate", str(source), "--output", str(out),
                           "--set", "executor.batch_size=100000", "--set", "executor.shard_size=100000",
                           "--set", "stages.curate.filter=false"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    score = {row["id"]: row["score"] for row in map(json.loads, (out / "scores.jsonl").read_text().splitlines())}
    above = sum(score[own] is not None and (score[other] is None or score[own] > score[other])
                for own, other in mismatched)
    assert above / len(mismatched) >= 0.85, f"{above} of {len(mismatched)}"


def test_the_request_form_is_learnt_from_the_ratings_and_raises_the_kept_pairs_ratings():
    """SmolLM2's "What ...?" questions fit their articles far more often than its "difference between"
    ones; learnt per fold, the form lifts the ratings of the pairs the calibration keeps."""
    from dataclasses import replace

    from muri_gen.curation.calibrate import RatedPair, fit
    from muri_gen.curation.request_form import forms, request_form

    pairs = [RatedPair(p["id"], p["language"], p["signals"], p["ratings"]["alignment"],
                       p["ratings"]["instruction_correctness"], f'{p["sample"]}/{p["document"]}',
                       request_form(p["instruction_en"])) for p in RATED]
    base = load_calibration(DEFAULT_CALIBRATION)
    with_form = fit(pairs, base, "with-form")
    without = fit([replace(p, form=None) for p in pairs], base, "without-form")
    values = with_form.request_forms
    assert set(values) == set(forms()) and "request_form" not in without.weights
    assert values["difference"] < values["what"] and with_form.weights["request_form"] > 0
    rated_forms = {p.form for p in pairs}
    overall = (sum(p.alignment for p in pairs) / len(pairs) - 1) / 4
    assert all(values[f] == pytest.approx(overall, abs=1e-3) for f in set(forms()) - rated_forms)
    kept_with, kept_without = with_form.fitted["cross_validated"], without.fitted["cross_validated"]
    assert kept_with["kept_mean_alignment"] > kept_without["kept_mean_alignment"]


def test_a_pair_rated_again_in_a_later_run_keeps_its_first_rating():
    from muri_gen.report.evaluation import merge_rated

    again = [{**RATED[0], "sample": "later", "ratings": {**RATED[0]["ratings"], "alignment": 1}},
             {**RATED[1], "instruction": RATED[1]["instruction"] + " ", "sample": "later"},  # the same once stripped
             {**RATED[2], "instruction": "¿Y otra pregunta?", "sample": "later"}]
    merged, repeated = merge_rated(RATED[:5], again)
    assert repeated == 2 and len(merged) == 6
    assert merged[0] == RATED[0] and merged[-1]["instruction"] == "¿Y otra pregunta?"
