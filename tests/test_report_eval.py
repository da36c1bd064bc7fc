"""Human-evaluation sheets: export, fill, import round trip with means and confidence intervals."""
import csv
import json

import pytest
from scipy import stats as scipy_stats
from typer.testing import CliRunner

from muri_gen.cli import app
from muri_gen.recipe import load_recipe
from muri_gen.report.evaluation import CRITERIA, COLUMNS, EvalError, export_sheets, import_sheets, mean_ci
from muri_gen.report.html import write_report
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from tests.report_data import FILTER_ONLY_STAGES, FULL_STAGES, write_recipe

# A rater's scores per item (alignment, instruction correctness, output correctness); None = skipped
SPANISH_SCORES = [(5, 5, 4), (4, 5, 5), (4, 4, 5), (3, 5, 4), (5, 4, 5), (None, None, None)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval")
    run_recipe(load_recipe(write_recipe(tmp, FULL_STAGES)))
    return RunDir(tmp / "out")


def read_sheet(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fill(path, scores, comment_row=0):
    rows = read_sheet(path)
    for row, values in zip(rows, scores):
        for criterion, value in zip(CRITERIA, values):
            row[criterion] = "" if value is None else str(value)
    rows[comment_row]["comment"] = 'Natural question, "good" fit'
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_export_writes_a_csv_and_offline_form_per_language(run, tmp_path):
    written = export_sheets(run, tmp_path / "sheets", per_lang=4)
    assert sorted(p.name for p in written) == ["por.csv", "por.html", "spa.csv", "spa.html"]
    rows = read_sheet(tmp_path / "sheets" / "spa.csv")
    kept = {r["id"]: r for r in run.kept_records()}
    assert len(rows) == 4 and all(kept[r["id"]]["instruction"] == r["instruction"] for r in rows)
    assert all(kept[r["id"]]["text"] == r["output"] and r["language"] == "spa" for r in rows)
    form = (tmp_path / "sheets" / "spa.html").read_text(encoding="utf-8")
    assert "http" not in form.replace("Content-Type", "") and form.count('type=radio') == 4 * 3 * 5
    # the same seed picks the same pairs; all of them when fewer than asked are kept
    again = export_sheets(run, tmp_path / "again", per_lang=4)
    assert read_sheet(again[2]) == rows
    assert len(read_sheet(export_sheets(run, tmp_path / "all", per_lang=30)[2])) == sum(
        1 for r in kept.values() if r["language"] == "spa")


def test_round_trip_reports_means_with_t_intervals(run, tmp_path):
    export_sheets(run, tmp_path / "sheets", per_lang=30)
    fill(tmp_path / "sheets" / "spa.csv", SPANISH_SCORES)
    por = read_sheet(tmp_path / "sheets" / "por.csv")
    fill(tmp_path / "sheets" / "por.csv", [(4, 4, 4)] * len(por))
    scores = import_sheets(run, [tmp_path / "sheets"])
    spa = scores["by_language"]["spa"]
    assert spa["rated_pairs"] == 5 and scores["sheets"] == 2
    alignment = [s[0] for s in SPANISH_SCORES if s[0] is not None]
    low, high = scipy_stats.t.interval(0.95, len(alignment) - 1, loc=sum(alignment) / 5, scale=scipy_stats.sem(alignment))
    assert spa["alignment"]["mean"] == pytest.approx(4.2)
    # the t interval's upper end (5.24) passes the scale's end and is clipped to 5
    assert high > 5 and (spa["alignment"]["ci_low"], spa["alignment"]["ci_high"]) == (pytest.approx(low, abs=1e-3), 5.0)
    # identical ratings: zero-width interval
    assert scores["by_language"]["por"]["output_correctness"] == {"n": len(por), "mean": 4.0, "ci_low": 4.0, "ci_high": 4.0}
    assert scores["by_language"]["all"]["rated_pairs"] == 5 + len(por)
    assert {c["comment"] for c in scores["comments"]} == {'Natural question, "good" fit'}
    saved = json.loads((run.root / "eval" / "scores.json").read_text())
    assert saved == scores
    human = write_report(run).read_text(encoding="utf-8")
    assert "4.20 [" in human.split('id="human"')[1]


def test_bad_sheets_are_refused_with_file_and_line(run, tmp_path):
    export_sheets(run, tmp_path / "sheets", per_lang=3, langs=["spa"])
    sheet = tmp_path / "sheets" / "spa.csv"
    fill(sheet, [(5, 5, 5), (6, 4, 4)])
    with pytest.raises(EvalError, match=r"spa.csv:3: alignment must be a whole number from 1 to 5, got '6'"):
        import_sheets(run, [sheet])
    rows = fill(sheet, [(5, 5, 5)])
    rows[0]["id"] = "udhr-deu-article-1"
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(EvalError, match="not a kept row of this run"):
        import_sheets(run, [sheet])
    export_sheets(run, tmp_path / "blank", per_lang=2, langs=["spa"])
    with pytest.raises(EvalError, match="no ratings yet"):
        import_sheets(run, [tmp_path / "blank" / "spa.csv"])
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(EvalError, match="no .csv sheets"):
        import_sheets(run, [tmp_path / "empty-dir"])


def test_sheet_saved_by_a_spreadsheet_with_semicolons_and_a_bom(run, tmp_path):
    export_sheets(run, tmp_path / "sheets", per_lang=3, langs=["por"])
    rows = fill(tmp_path / "sheets" / "por.csv", [(5, 4, 3), (3, 4, 5), (4, 4, 4)])
    for row in rows:
        row["alignment"] += ".0"  # spreadsheets may write numbers as decimals
    saved = tmp_path / "por-excel.csv"
    with open(saved, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    por = import_sheets(run, [saved])["by_language"]["por"]
    assert por["rated_pairs"] == 3 and por["alignment"]["mean"] == 4.0 and por["output_correctness"]["mean"] == 4.0


def test_mean_ci_with_one_rating_has_no_interval():
    assert mean_ci([4]) == {"n": 1, "mean": 4.0, "ci_low": None, "ci_high": None}


def test_cli_round_trip(run, tmp_path):
    cli = CliRunner()
    result = cli.invoke(app, ["eval", "export", str(run.root), "--per-lang", "30", "--output", str(tmp_path / "s"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["spa.csv", "spa.html"]
    fill(tmp_path / "s" / "spa.csv", SPANISH_SCORES)
    result = cli.invoke(app, ["eval", "import", str(run.root), str(tmp_path / "s" / "spa.csv")])
    assert result.exit_code == 0, result.output
    assert "spa" in result.output and "4.20 [" in result.output and "eval/scores.json" in result.output
    bad = cli.invoke(app, ["eval", "import", str(run.root), str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "does not exist" in bad.output  # a sheet named on the command line


def test_export_from_a_filter_only_run_explains_there_is_nothing_to_rate(tmp_path):
    run_recipe(load_recipe(write_recipe(tmp_path, FILTER_ONLY_STAGES)))
    with pytest.raises(EvalError, match="no kept rows with an instruction"):
        export_sheets(RunDir(tmp_path / "out"), tmp_path / "sheets")
