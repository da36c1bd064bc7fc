"""`muri-gen curate` and the curate stage on real pairs: Spanish UDHR articles as the answers,
instructions written for them (fitting ones, and the failures raters found in the demo: English
left in, a generic chat message, a loop), through the runner with the embedded embedders."""
import json
import subprocess
import sys

import datasets
import pytest
import yaml

from muri_gen.corpora import declarations
from muri_gen.curation.score import load_calibration
from muri_gen.runner.layout import RunDir

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
SPANISH = dict(declarations(["spa"])[0].sections)
FITTING = {
    "article-4": "¿Está permitida la esclavitud o la trata de esclavos en alguna de sus formas?",
    "article-19": "¿Puedo expresar mis opiniones y buscar información sin que nadie me lo impida?",
    "article-13": "¿Tienen las personas derecho a circular libremente y a salir de su propio país?",
    "article-16": "¿A qué edad pueden casarse hombres y mujeres y qué derechos tienen en el matrimonio?",
    "article-26": "¿Tiene toda persona derecho a la educación, y debe ser gratuita?",
}
PARAPHRASE = "article-19"
BAD = {
    "article-17": ("mixed", "hey, what does the law say about la propiedad? and who can take it away?"),
    "article-1": ("generic", "hola, ¿cómo estás hoy? ¿cómo te llamas?"),
    # a fitting request, but fastText reads the article as Portuguese (0.47) rather than Spanish (0.38)
    "article-9": ("not_spanish", "¿Puede alguien ser detenido o desterrado sin motivo?"),
    "article-25": ("loop", "la ley de la madre y el niño y la familia y el matrimonio y la ley de la madre y el niño y "
                           "la familia y el matrimonio y la ley de la madre y el niño y la familia y el matrimonio"),
}


def pairs() -> list[dict]:
    rows = []
    for article, text in SPANISH.items():
        instruction = FITTING.get(article) or BAD.get(article, (None, None))[1] or \
            f"¿Qué establece la Declaración Universal en su {article.replace('article-', 'artículo ')}?"
        rows.append({"id": article, "input": instruction, "output": text, "language": "spa"})
    rows.insert(3, {"id": "no-output", "input": "¿Qué derechos tengo?", "output": "  ", "language": "spa"})
    rows.insert(7, {"id": "no-language", "input": "¿Qué derechos tengo?", "output": SPANISH["article-3"], "language": "xx-nowhere"})
    return rows


def curate(tmp_path, rows, *extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "pairs.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "curated"
    done = subprocess.run([sys.executable, "-m", "muri_gen.cli", "curate", str(source), "--output", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("curate")
    rows = pairs()
    return rows, curate(tmp_path, rows)


def test_scores_have_one_line_per_input_row_in_input_order_and_the_counts_add_up(curated):
    rows, out = curated
    scores = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert [s["id"] for s in scores] == [r["id"] for r in rows]
    by_id = {s["id"]: s for s in scores}
    assert by_id["no-output"] == {"id": "no-output", "keep": False, "score": None, "signals": None,
                                  "reasons": ["read:empty_text"]}
    assert by_id["no-language"]["reasons"] == ["curate:unknown_language"]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["input"] == len(rows) == stats["kept"] + stats["rejected"] + stats["errored"]
    assert stats["kept"] == sum(s["keep"] for s in scores)


def test_rows_held_in_memory_get_their_scores_in_input_order_across_shards(tmp_path):
    """pair_scores reads the input again through the run context: here rows in memory, cut in shards of 12."""
    from muri_gen.api import curate as curate_rows

    rows = pairs()
    result = curate_rows(rows, tmp_path / "curated", overrides={"executor.shard_size": 12})
    scores = [json.loads(line) for line in (result.output / "scores.jsonl").read_text().splitlines()]
    assert RunDir(result.output).shard_count() == -(-len(rows) // 12) > 1
    assert [s["id"] for s in scores] == [r["id"] for r in rows]
    assert {s["id"]: s["reasons"] for s in scores}["no-output"] == ["read:empty_text"]
    assert sum(s["keep"] for s in scores) == result.stats["kept"] > 0


def test_fitting_pairs_are_kept_and_each_failure_is_rejected_for_what_it_is(curated):
    _, out = curated
    by_id = {s["id"]: s for s in map(json.loads, (out / "scores.jsonl").read_text().splitlines())}
    calibration = load_calibration("udhr-demo-v4")
    # only fitting pairs are kept, and not all: these pairs come without English, so the request's form
    # is unknown and takes the rated pairs' mean value, and the demo's calibration (fitted to SmolLM2's
    # requests, most of them poor) then keeps only the best grounded; a paraphrase that shares few words
    # with its article scores lowest of the fitting ones
    kept = {a for a, line in by_id.items() if line["keep"]}
    assert kept and kept <= set(FITTING), kept
    assert by_id[PARAPHRASE]["score"] == min(by_id[a]["score"] for a in FITTING)
    assert {by_id[a]["signals"]["request_form"] for a in by_id if by_id[a]["signals"]} == {calibration.form_value("unknown")}
    worst_fitting = min(by_id[a]["score"] for a in FITTING)
    for article, (kind, _) in BAD.items():
        line = by_id[article]
        assert not line["keep"] and line["reasons"], line
        assert kind == "not_spanish" or line["score"] < worst_fitting, line
    # each failure shows in the signal that measures it
    assert by_id["article-17"]["signals"]["language_purity"] < min(by_id[a]["signals"]["language_purity"] for a in FITTING)
    # a greeting names nothing of its article; no alignment could save it, so it is not even embedded
    greeting = by_id["article-1"]["signals"]
    assert greeting["grounding_native"] < min(by_id[a]["signals"]["grounding_native"] for a in FITTING) / 2
    assert greeting["grounding_en"] is None  # the pair came without English texts
    assert greeting["alignment_native"] is None
    assert all(by_id[a]["signals"]["alignment_native"] > 0.5 for a in kept)
    assert by_id["article-25"]["signals"]["degeneration"] < 0.5 <= min(by_id[a]["signals"]["degeneration"] for a in FITTING)
    assert by_id["article-9"]["reasons"][0] == "low_lid_confidence"
    for line in by_id.values():  # every decision follows the calibration's thresholds
        if line["signals"]:
            expected = calibration.reasons(line["signals"], line["score"], "spa")
            assert line["reasons"] == expected and line["keep"] == (not expected)


def test_the_kept_pairs_are_a_hub_dataset_with_their_quality_columns(curated):
    _, out = curated
    kept = datasets.load_dataset("parquet", data_files=str(out / "dataset" / "data" / "spa" / "*.parquet"))["train"]
    scores = {s["id"]: s for s in map(json.loads, (out / "scores.jsonl").read_text().splitlines())}
    assert len(kept) == sum(s["keep"] for s in scores.values())
    for row in kept:
        assert row["quality_score"] == pytest.approx(scores[row["id"]]["score"], abs=1e-4)
        assert row["quality_signals"]["language_purity"] == pytest.approx(scores[row["id"]]["signals"]["language_purity"])
    # the card says which calibration chose them and how well it agreed with people's ratings
    card = (out / "dataset" / "README.md").read_text(encoding="utf-8")
    fitted = load_calibration("udhr-demo-v4").fitted
    kept_rated = fitted["cross_validated"]["best_per_document"]
    assert (f"calibration `udhr-demo-v4`,\nfitted to {fitted['rated_pairs']} pairs rated" in card
            and f"{fitted['cross_validated']['spearman']} (cross-validated)" in card
            and f"their mean ratings are {kept_rated['kept_mean_alignment']} on alignment" in card), card


def test_the_stage_keeps_the_best_candidate_and_the_others_scores(tmp_path):
    """A pair with three candidates (off-topic, fitting, English-mixed): the fitting one becomes the instruction."""
    rows = [{"id": a, "input": FITTING.get(a) or f"¿Qué dice el {a.replace('article-', 'artículo ')}?", "output": t,
             "language": "spa"} for a, t in SPANISH.items()]
    candidates = [{"instruction": "hola, ¿cómo estás hoy? ¿cómo te llamas?", "postfilter": {"passed": True}},
                  {"instruction": FITTING["article-4"], "postfilter": {"passed": True}},
                  {"instruction": "hey, what about slavery in la historia?", "postfilter": {"passed": True}},
                  {"instruction": "Esclavitud esclavitud esclavitud", "postfilter": {"passed": False}}]
    rows[4] = {**rows[4], "input": candidates[0]["instruction"], "candidates": candidates}
    recipe = yaml.safe_load((ROOT / "pipelines" / "curate.yaml").read_text())
    recipe["input"]["fields"]["candidates"] = "candidates"
    # annotate rather than filter: which candidate wins is the question here, not the demo's threshold
    next(s for s in recipe["stages"] if s["stage"] == "curate")["filter"] = False
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    out = curate(tmp_path, rows, "--recipe", str(tmp_path / "recipe.yaml"))
    record = next(r for r in RunDir(out).kept_records() if r["id"] == "article-4")
    assert record["instruction"] == FITTING["article-4"]
    curation = record["curation"]
    assert curation["candidate"] == 1 and [c["index"] for c in curation["candidates"]] == [0, 1, 2]  # 3 failed the post-filter
    scores = {c["index"]: c["score"] for c in curation["candidates"]}
    assert scores[1] == curation["score"] == max(scores.values())


def test_a_pair_that_fails_at_any_alignment_is_not_embedded_and_is_decided_the_same(curated, tmp_path):
    """Filtering, the stage embeds only candidates that could still be kept; annotating, it embeds all."""
    rows, out = curated
    annotated = curate(tmp_path, rows, "--set", "stages.curate.filter=false")
    filtered, every = ({s["id"]: s for s in map(json.loads, (o / "scores.jsonl").read_text().splitlines())}
                       for o in (out, annotated))
    skipped = [i for i, line in filtered.items() if line["signals"] and line["signals"]["alignment_native"] is None]
    assert "article-25" in skipped  # the loop: too degenerate for any alignment to lift it to min_score
    assert all(every[i]["signals"]["alignment_native"] is not None for i in skipped)
    assert all(i not in skipped for i, line in every.items() if line["keep"])  # what can be kept is embedded
    for i, line in filtered.items():
        assert line["keep"] == every[i]["keep"] and set(line["reasons"]) <= set(every[i]["reasons"]), i


def test_a_pair_whose_alignment_cannot_be_measured_is_not_kept_on_fluency_alone(tmp_path):
    """Three fitting pairs: too few documents to rank each against, so neither side measures alignment;
    purity, grounding and degeneration score them above a min_score of 0.5, but nothing says whether
    another document would fit their instruction as well."""
    rows = [{"id": a, "input": FITTING[a], "output": SPANISH[a], "language": "spa"} for a in list(FITTING)[:3]]
    out = curate(tmp_path, rows, "--set", "stages.curate.min_score=0.5")  # for every language: spa has its own in the calibration
    scores = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    for line in scores:
        assert line["signals"]["alignment_en"] is None and line["signals"]["alignment_native"] is None, line
        assert line["score"] >= 0.5, line  # what the rule without this check kept
        assert not line["keep"] and line["reasons"] == ["unmeasured_alignment"], line
    stats = json.loads((out / "stats.json").read_text())
    assert stats["kept"] == 0 and stats["by_reason"] == {"curate:unmeasured_alignment": 3}
