"""report.html and the quality indicators, from real runs of the runner over UDHR text."""
import json
import re

import pytest

from muri_gen.recipe import load_recipe
from muri_gen.report.collect import distinct_n, summarize, tokens
from muri_gen.report.html import REPORT_NAME, write_report
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from tests.report_data import FILTER_ONLY_STAGES, FULL_STAGES, INSTRUCTIONS, write_recipe

SECTION_TITLES = ["Overview", "Filter funnel per language", "Length distributions", "Language-ID confidence",
                  "Instruction-style mix", "Rejections by reason", "Automatic quality indicators",
                  "Throughput per stage", "Sample pairs per language", "Gender-occupation bias trace",
                  "Human evaluation"]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    stats = run_recipe(load_recipe(write_recipe(tmp, FULL_STAGES)))
    return RunDir(tmp / "out"), stats


def section(html: str, key: str) -> str:
    return re.search(f'<section id="{key}">(.*?)</section>', html, re.S).group(1)


def test_report_is_written_by_the_sink_with_every_section_filled(full_run):
    run, stats = full_run
    html = (run.root / REPORT_NAME).read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert f"<h2>{title}</h2>" in html
    for key in ("funnel", "lengths", "lid", "styles", "rejections", "quality", "throughput"):
        assert "data:image/svg+xml;base64," in section(html, key), key
        assert "not run" not in section(html, key), key
    funnel = section(html, "funnel")
    assert "<td>spa</td><td>Spanish</td>" in funnel and f'<td class="n">{stats["by_language"]["spa"]["kept"]}</td>' in funnel
    # self-contained: no external resource, no script at all
    assert not re.search(r'(src|href)="(?!data:|#)', html) and "<script" not in html and "<link" not in html


def test_sample_pairs_show_the_four_texts_side_by_side(full_run):
    run, _ = full_run
    samples = section((run.root / REPORT_NAME).read_text(encoding="utf-8"), "samples")
    kept = {r["id"]: r for r in run.kept_records()}
    shown = [r for r in kept.values() if r["instruction"].replace("¿", "&iquest;") in samples or r["instruction"] in samples]
    assert {r["language"] for r in shown} == {"spa", "por"} and len(shown) == 6  # 3 per language
    for row in shown:
        for field in ("text_en", "instruction_en"):
            assert row[field][:60].replace("'", "&#x27;") in samples


def test_quality_indicators_follow_the_post_filter_decisions(full_run):
    run, stats = full_run
    indicators = json.loads((run.root / "eval" / "indicators.json").read_text())
    spa, por = indicators["by_language"]["spa"], indicators["by_language"]["por"]
    # 31 sections per language reach generation (the short record was filtered before it)
    assert spa["generated_instructions"] == por["generated_instructions"] == 31
    echoes = stats["by_reason"]["test_report_postfilter:echo"]
    assert spa["echo_rate"] + por["echo_rate"] == pytest.approx(echoes / 31, abs=1e-3)
    assert spa["echo_rate"] == pytest.approx((31 - len(INSTRUCTIONS)) / 31, abs=1e-4)
    assert spa["refusal_rate"] == por["refusal_rate"] == pytest.approx(1 / 31, abs=1e-4)
    # the post-filter labels every instruction it sees, kept or rejected (in the reject's detail);
    # the Spanish article 7 instruction was left in English, every Portuguese one is Portuguese
    assert spa["language_checked"] == por["language_checked"] == 31
    assert spa["language_consistency"] == pytest.approx(30 / 31, abs=1e-4) and por["language_consistency"] == 1.0
    assert indicators["language_checked_by"] == "postfilter"
    assert 0 < spa["distinct_1"] < spa["distinct_2"] <= 1 and spa["distinct_sample"] == stats["by_language"]["spa"]["kept"]


def test_distinct_n_counts_unique_ngrams_and_characters_for_unspaced_scripts():
    assert distinct_n([("a b a", "Latn"), ("b c", "Latn")], 1) == pytest.approx(3 / 5)
    assert distinct_n([("a b a", "Latn"), ("b c", "Latn")], 2) == pytest.approx(3 / 3)
    assert distinct_n([("x", "Latn")], 2) is None
    assert tokens("人人生而自由", "Hans") == list("人人生而自由")
    assert tokens("Todos los seres", "Latn") == ["todos", "los", "seres"]


def test_filter_only_run_says_what_was_not_run(tmp_path):
    run_recipe(load_recipe(write_recipe(tmp_path, FILTER_ONLY_STAGES)))
    html = (tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8")
    assert "generated no instructions" in section(html, "lengths")
    assert "not run" in section(html, "styles") and "not run" in section(html, "quality")
    assert "not run" in section(html, "lid") and "not run" in section(html, "bias")
    assert "not run" in section(html, "human")
    assert "Todos los seres humanos nacen libres" in section(html, "samples") or "<h3>spa" in section(html, "samples")
    indicators = json.loads((tmp_path / "out" / "eval" / "indicators.json").read_text())
    assert indicators["by_language"] == {} and indicators["summary"] == {}


def test_bias_trace_is_embedded_when_the_bias_sink_ran(full_run):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run, _ = full_run
    bias = run.root / "bias"
    bias.mkdir(exist_ok=True)
    (bias / "trace.json").write_text(json.dumps({"summary": {"sta_overall": 0.31}, "stages": {"source": {"overall": {"female": 3}}}}))
    fig, ax = plt.subplots()
    ax.bar(["source", "generated"], [40, 55])
    fig.savefig(bias / "spa.png")
    plt.close(fig)
    try:
        html = write_report(run).read_text(encoding="utf-8")
        part = section(html, "bias")
        assert "summary.sta_overall" in part and "stages.source" not in part and "data:image/png;base64," in part and "not run" not in part
    finally:
        for path in bias.iterdir():
            path.unlink()
        bias.rmdir()


def test_unfinished_run_renders_without_stats(tmp_path):
    run = RunDir(tmp_path / "empty")
    run.create()
    html = write_report(run).read_text(encoding="utf-8")
    assert "stats.json is missing" in section(html, "overview") and "no kept rows" in section(html, "samples")


def test_report_lid_backend_labels_instructions_the_post_filter_left_unlabelled(tmp_path):
    stages = FULL_STAGES[:2] + ["{stage: test_report_postfilter, record_language: false}"]
    recipe = write_recipe(tmp_path, stages, sinks=["{sink: report, lid: lid}"])
    recipe.write_text(recipe.read_text() + "backends:\n  lid: {kind: lid, type: fasttext}\n")
    run_recipe(load_recipe(recipe))
    indicators = json.loads((tmp_path / "out" / "eval" / "indicators.json").read_text())
    assert indicators["language_checked_by"] == "lid+postfilter"
    spa, por = indicators["by_language"]["spa"], indicators["by_language"]["por"]
    # every generated instruction is labelled (kept or filtered out); the Spanish sheet's English one counts
    # against it, fastText may miss a short one more
    assert spa["language_checked"] == por["language_checked"] == 31
    assert 28 / 31 <= spa["language_consistency"] <= 30 / 31 and por["language_consistency"] >= 29 / 31


def test_report_of_the_real_filter_recipe(tmp_path):
    """pipelines/filter.yaml (real LID, quality, dedup stages on the UDHR demo corpus) with the report sink."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    from typer.testing import CliRunner

    from muri_gen.cli import app

    result = CliRunner().invoke(app, ["run", str(root / "pipelines" / "filter.yaml"), "--set", "sinks=[{sink: report}]",
                                      "--input", str(root / "pipelines" / "data" / "udhr-demo.jsonl"),
                                      "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # the run's last line points at the report
    assert result.output.strip().splitlines()[-1].endswith(f"report: {tmp_path / 'out' / REPORT_NAME}")
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    html = (tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8")
    lid_rejects = sum(n for key, n in stats["by_reason"].items() if key.startswith("language_id:"))
    assert lid_rejects >= 2  # the demo corpus plants an English and a German article
    # the LID histogram's rejected series: LID rejects (score in the detail) and later rejects (score on the record)
    rejects = list(RunDir(tmp_path / "out").outcome_records("rejected"))
    later = sum(1 for o in rejects if o["stage"] not in ("read", "normalize", "language_id"))
    assert len(summarize(RunDir(tmp_path / "out")).rejected_lid_scores) == lid_rejects + later
    assert "rejected: language_id" in section(html, "funnel")
    assert "not run" in section(html, "styles") and "not run (no postfilter stage" in section(html, "rejections")
    assert "data:image/svg+xml" in section(html, "lid")


def test_many_languages_keep_charts_readable_and_tables_complete(tmp_path):
    from muri_gen.assets import udhr_declarations
    from muri_gen.corpora import declarations, documents

    codes = sorted(p.stem for p in udhr_declarations().glob("*.html"))[:60]
    rows = [doc for d in declarations(codes) if d.iso6393 != "und" for doc in documents(d)[:3]]
    corpus = tmp_path / "many.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    recipe = write_recipe(tmp_path, FILTER_ONLY_STAGES)
    recipe.write_text(recipe.read_text().replace(str(tmp_path / "corpus.jsonl"), str(corpus)))
    stats = run_recipe(load_recipe(recipe))
    assert len(stats["by_language"]) > 40
    html = (tmp_path / "out" / REPORT_NAME).read_text(encoding="utf-8")
    funnel = section(html, "funnel")
    assert f"{len(stats['by_language'])} languages: the charts show the 40 largest" in funnel
    assert funnel.count("<tr>") == len(stats["by_language"]) + 1
