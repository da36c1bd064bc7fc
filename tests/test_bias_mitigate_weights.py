"""Re-weighting, resampling and targeted augmentation on real text with a known skew (MedQA questions
selected to follow occupational stereotypes), measured with the tracing engine's STA."""
import pytest

from muri_gen.bias.mitigate.measure import RowCounts
from muri_gen.bias.mitigate.pipeline import build, mitigate


@pytest.fixture(scope="module")
def skewed():
    from muri_gen.bias.mitigate.skewed import stereotyped_medqa

    return stereotyped_medqa()


@pytest.fixture(scope="module")
def before(skewed):
    return RowCounts.of(skewed, "instruction_en").report()["languages"]["en"]


def test_the_selection_really_skews_toward_stereotypes(before):
    physician = before["occupations"]["physician"]
    assert physician["female_pct"] < 15 < physician["reference_female_pct"]  # 38% women in the reference
    assert before["overall_sta"] > 0.15


def test_weights_sum_to_the_dataset_size_and_move_shares_to_the_reference(skewed, before):
    outcome = mitigate(skewed, [build("reweight", {"target": "reference"})])
    weights = [r["weight"] for r in outcome.records]
    assert len(outcome.records) == len(skewed)  # every row kept
    assert sum(weights) == pytest.approx(len(skewed), rel=1e-9)
    assert min(weights) > 0
    after = outcome.after["languages"]["en"]
    # occupations seen with both genders reach the reference share
    physician = after["occupations"]["physician"]
    assert physician["female_pct"] == pytest.approx(38, abs=1)
    assert after["overall_sta"] < before["overall_sta"]
    stuck = outcome.steps[0]["summary"]["occupations_one_gender_only"]
    assert stuck and all(before["occupations"][name.split("/")[1]]["female"] == 0
                         or before["occupations"][name.split("/")[1]]["male"] == 0 for name in stuck)


def test_parity_target_moves_two_gender_occupations_toward_half(skewed, before):
    outcome = mitigate(skewed, [build("reweight", {"target": "parity", "max_weight": 100})])
    after = outcome.after["languages"]["en"]["occupations"]
    assert after["physician"]["female_pct"] == pytest.approx(50, abs=0.5)
    # teacher (12 female / 2 male windows with "professor" and "instructor") shares rows with doctors
    assert before["occupations"]["teacher"]["female_pct"] > 80
    assert after["teacher"]["female_pct"] == pytest.approx(50, abs=2)
    # rows that mention several occupations pull against each other: closer to half, not always at it
    two_gender = [name for name, o in before["occupations"].items() if o["female"] and o["male"]]
    assert all(abs(after[n]["female_pct"] - 50) <= abs(before["occupations"][n]["female_pct"] - 50) for n in two_gender)


def test_resampling_keeps_the_size_and_most_rows(skewed, before):
    outcome = mitigate(skewed, [build("resample", {"seed": 3})])
    summary = outcome.steps[0]["summary"]
    assert summary["rows_out"] == len(skewed) == len(outcome.records)
    # systematic resampling keeps every row whose weight is at least 1 (floor(weight) copies or more)
    weights = {r["id"]: r["weight"] for r in mitigate(skewed, [build("reweight", {})]).records}
    drawn = {r["resampled_from"] for r in outcome.records}
    assert all(row_id in drawn for row_id, w in weights.items() if w >= 1)
    assert summary["share_of_rows_kept"] >= 0.8
    assert len({r["id"] for r in outcome.records}) == len(outcome.records)
    assert outcome.after["languages"]["en"]["overall_sta"] < before["overall_sta"]
    # same seed, same sample
    again = mitigate(skewed, [build("resample", {"seed": 3})])
    assert [r["id"] for r in again.records] == [r["id"] for r in outcome.records]


def test_targeted_augmentation_halves_sta_and_adds_rows(skewed, before):
    outcome = mitigate(skewed, [build("augment", {"target": "reference"})])
    summary = outcome.steps[0]["summary"]
    assert summary["rows_added"] > 0 and len(outcome.records) == len(skewed) + summary["rows_added"]
    assert outcome.after["languages"]["en"]["overall_sta"] <= before["overall_sta"] / 2
    # then re-weighting the augmented set lowers it further
    both = mitigate(skewed, [build("augment", {"target": "reference"}), build("reweight", {})])
    assert both.after["languages"]["en"]["overall_sta"] < outcome.after["languages"]["en"]["overall_sta"]


def test_unknown_options_are_errors():
    with pytest.raises(ValueError, match="extra"):
        build("reweight", {"targett": "parity"})
    with pytest.raises(KeyError, match="known: augment"):
        build("debias_everything", {})
