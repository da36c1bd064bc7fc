"""The filter chain end to end through the runner: the demo corpus, bad input, dedup and sampling
across shards, determinism, and the filtered_records sink."""
import json
import textwrap
from pathlib import Path

import pyarrow.parquet as pq

from muri_gen.corpora import declarations, documents
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir

ROOT = Path(__file__).resolve().parents[1]
CHAIN = """\
  - {stage: normalize}
  - {stage: language_id, backend: lid}
  - {stage: quality}
  - {stage: content_screen}
  - {stage: pii}
"""


def run(tmp_path, corpus, stages, languages="null", seed=0, shard_size=16, out="out", sinks=""):
    recipe = tmp_path / f"{out}.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: t
        seed: {seed}
        languages: {languages}
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / out}}}
        executor: {{shard_size: {shard_size}, batch_size: 8}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        stages:
        """) + stages + sinks)
    stats = run_recipe(load_recipe(recipe))
    run_dir = RunDir(tmp_path / out)
    rejected = {r["id"]: r for r in run_dir.outcome_records("rejected")}
    return stats, list(run_dir.kept_records()), rejected


def test_demo_recipe_keeps_udhr_and_rejects_the_planted_records(tmp_path):
    recipe = load_recipe(ROOT / "pipelines" / "filter.yaml", output_dir=str(tmp_path / "demo"),
                         input_path=str(ROOT / "pipelines" / "data" / "udhr-demo.jsonl"))
    stats = run_recipe(recipe)
    run_dir = RunDir(tmp_path / "demo")
    rejected = {r["id"]: r for r in run_dir.outcome_records("rejected")}
    assert rejected["reject-english-1"]["reason"] == "language_not_targeted"
    assert rejected["reject-german-2"]["reason"] == "language_not_targeted"
    assert rejected["reject-too-short"]["reason"] == "too_few_words"
    assert rejected["reject-exact-duplicate"]["detail"]["duplicate_of"] == "udhr-spa-article-1"
    assert rejected["reject-near-duplicate"]["detail"]["duplicate_of"] == "udhr-spa-article-2"
    assert "reject-empty" in rejected
    assert not any(i.startswith("reject-") for i in (r["id"] for r in run_dir.kept_records()))
    kept = json.loads((tmp_path / "demo" / "filtered" / "funnel.json").read_text())["kept_by_language"]
    assert set(kept) == {"spa", "cat", "glg", "epo", "hbs", "por"} and min(kept.values()) >= 25
    assert stats["input"] == stats["kept"] + stats["rejected"] + stats["errored"] and stats["errored"] == 0
    table = pq.read_table(tmp_path / "demo" / "filtered" / "records.parquet")
    assert table.num_rows == stats["kept"]
    assert {"id", "language", "lid_score", "quality_words", "quality_dup_5gram_frac", "text"} <= set(table.column_names)
    assert "language_id:language_not_targeted" in stats["by_reason"] and "dedup:duplicate" in stats["by_reason"]


def test_bad_input_is_kept_or_rejected_never_crashes(tmp_path, write_jsonl):
    spanish = dict(declarations(["spa"])[0].sections)
    arabic = dict(declarations(["arb"])[0].sections)["article-1"]
    rows = [
        {"id": "punct", "text": "!!! ... ??? --- ### *** ,,, ;;; !!! ... ???"},
        {"id": "digits", "text": "1234567890 " * 40},
        {"id": "huge-line", "text": "palabra " * 700_000},  # one 5.6 MB line
        {"id": "mixed", "text": spanish["article-1"] + " Все люди рождаются свободными. 人人生而自由。" + arabic},
        {"id": "zero-width", "text": "\u200b".join(spanish["article-2"].split(" ")) + "\u200b\ufeff"},
        {"id": "rtl", "text": "\u202e" + arabic + "\u202c"},
        {"id": "surrogate", "text": spanish["article-18"] + " \ud83d fin."},
        {"id": "controls", "text": spanish["article-19"] + "\x00\x07\x1b"},
        {"id": "clean", "text": spanish["article-21"]},
    ]
    path = write_jsonl([json.dumps(row) for row in rows])  # ASCII JSON: "\ud83d" arrives as a lone surrogate
    stats, kept, rejected = run(tmp_path, path, CHAIN, shard_size=4)
    assert stats["errored"] == 0 and stats["input"] == len(rows)
    outcome = {**{r["id"]: "kept" for r in kept}, **{i: r["reason"] for i, r in rejected.items()}}
    assert set(outcome) == {r["id"] for r in rows}
    assert outcome["punct"] == "no_letters" and outcome["digits"] == "no_letters"
    assert outcome["huge-line"] == "too_long"
    assert outcome["zero-width"] == outcome["surrogate"] == outcome["controls"] == outcome["clean"] == "kept"
    assert outcome["rtl"] == "kept" and outcome["mixed"] in ("kept", "low_lid_confidence")
    by_id = {r["id"]: r for r in kept}
    assert "\u200b" not in by_id["zero-width"]["text"] and by_id["zero-width"]["text"] == spanish["article-2"]
    assert "\ufffd" in by_id["surrogate"]["text"] and by_id["rtl"]["language"] == "ara"


def corpus_with_duplicates(write_jsonl):
    rows = []
    for code in ("spa", "por_PT", "rus", "hin"):
        rows.extend(documents(declarations([code])[0]))
    longest_russian = max((r for r in rows if r["language"] == "rus"), key=lambda r: len(r["text"]))
    originals = [rows[3], rows[40], longest_russian, rows[100]]
    rows.append({**originals[0], "id": "copy-exact"})
    rows.append({**originals[1], "id": "copy-spaced", "text": "  ".join(originals[1]["text"].split()).upper()})
    words = originals[2]["text"].split()
    rows.append({**originals[2], "id": "copy-near", "text": " ".join(words[:-1] + ["и", "ещё", "одно", "слово"])})
    rows.insert(5, {**originals[3], "id": "copy-before-original"})  # this one comes first: it wins
    return write_jsonl(rows), originals


def test_dedup_across_shards_records_what_it_duplicates(tmp_path, write_jsonl):
    path, originals = corpus_with_duplicates(write_jsonl)
    stages = "  - {stage: normalize}\n  - {stage: dedup}\n"
    stats, kept, rejected = run(tmp_path, path, stages, shard_size=10)
    dups = {i: r["detail"] for i, r in rejected.items()}
    assert dups["copy-exact"] == {"duplicate_of": originals[0]["id"], "kind": "exact"}
    assert dups["copy-spaced"] == {"duplicate_of": originals[1]["id"], "kind": "exact"}
    assert dups["copy-near"]["duplicate_of"] == originals[2]["id"] and dups["copy-near"]["kind"] == "near"
    assert dups[originals[3]["id"]]["duplicate_of"] == "copy-before-original"
    assert len(dups) == 4 and stats["by_reason"] == {"dedup:duplicate": 4}
    # deterministic: a second run over the same input drops the same records
    _, kept_again, rejected_again = run(tmp_path, path, stages, shard_size=7, out="again")
    assert {i: r["detail"] for i, r in rejected_again.items()} == dups


def test_copies_without_ids_are_deduplicated(tmp_path, write_jsonl):
    text = documents(declarations(["spa"])[0])[3]["text"]
    path = write_jsonl([{"text": text, "language": "spa"}, {"text": text, "language": "spa"}])
    stats, kept, rejected = run(tmp_path, path, "  - {stage: normalize}\n  - {stage: dedup}\n")
    [copy] = rejected.values()
    assert [r["id"] for r in kept] == [copy["detail"]["duplicate_of"]] and copy["detail"]["kind"] == "exact"
    assert stats["input"] == 2 and stats["by_reason"] == {"dedup:duplicate": 1}


def test_sample_caps_each_language_reproducibly(tmp_path, write_jsonl):
    rows = []
    for code in ("spa", "por_PT", "cat"):
        rows.extend(documents(declarations([code])[0]))
    path = write_jsonl(rows)
    stages = "  - {stage: sample, per_language: 10, per_language_overrides: {cat: 3}}\n"
    _, kept, rejected = run(tmp_path, path, stages, shard_size=9)
    counts = {lang: sum(1 for r in kept if r["declared_language"] == lang) for lang in ("spa", "por", "cat")}
    assert counts == {"spa": 10, "por": 10, "cat": 3}
    assert {r["reason"] for r in rejected.values()} == {"sampled_out"}
    _, kept_same, _ = run(tmp_path, path, stages, shard_size=4, out="same-seed")
    assert sorted(r["id"] for r in kept_same) == sorted(r["id"] for r in kept)
    _, kept_other, _ = run(tmp_path, path, stages, seed=7, out="other-seed")
    assert sorted(r["id"] for r in kept_other) != sorted(r["id"] for r in kept)


def test_headers_and_footers_repeated_across_documents_are_removed(tmp_path, write_jsonl):
    rows = []
    for code in ("spa", "cat", "glg"):
        for doc in documents(declarations([code])[0]):
            rows.append({**doc, "text": f"Boletín Oficial · Edición digital\n{doc['text']}\nSuscríbase al boletín semanal"})
    rows.append({"id": "only-template", "text": "Boletín Oficial · Edición digital\nSuscríbase al boletín semanal"})
    stages = "  - {stage: normalize}\n  - {stage: dedup, repeated_line_min_docs: 50}\n"
    _, kept, rejected = run(tmp_path, write_jsonl(rows), stages, shard_size=25)
    originals = {doc["id"]: doc["text"] for code in ("spa", "cat", "glg") for doc in documents(declarations([code])[0])}
    assert len(kept) == len(originals)
    assert all(r["text"] == originals[r["id"]] for r in kept)  # article lines (in < 50 documents each) stay
    assert rejected["only-template"]["reason"] == "only_repeated_lines"
