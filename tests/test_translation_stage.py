"""The translate stage in a real run: a router picks Bergamot or Apertium per language, both
directions, paragraph breaks kept, the context budget recorded, the cache filled."""
import json
import sqlite3
import textwrap

from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from muri_gen.stages.translate import Translate, TranslateConfig


def test_columns_follow_the_direction():
    assert Translate.columns(TranslateConfig()) == (("text", "language"), ("text_en", "translation_en"))
    back = TranslateConfig(direction="to_source")
    assert Translate.columns(back) == (("instruction_en", "language"), ("instruction", "translation_src"))


def test_router_run_both_directions(tmp_path, udhr_rows):
    rows = [r for r in udhr_rows if r["id"] in {"udhr-spa-preamble", "udhr-spa-article-1", "udhr-por_PT-preamble",
                                               "udhr-por_PT-article-2"}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        languages: [spa, por]
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          apertium: {{kind: translator, type: apertium}}
          bergamot: {{kind: translator, type: bergamot}}
          mt: {{kind: translator, type: router, routes: [{{languages: [por], translator: bergamot}}, {{translator: apertium}}]}}
        stages:
          - {{stage: translate, id: to_en, translator: mt, language_field: declared_language, max_context_sentences: 4}}
          - {{stage: translate, id: back, translator: mt, direction: to_source, language_field: declared_language,
             source_field: text_en, target_field: text_back, provenance_field: back_provenance}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    assert stats["kept"] == 4, stats
    kept = {r["id"]: r for r in RunDir(tmp_path / "out").kept_records()}
    preamble = kept["udhr-por_PT-preamble"]
    assert preamble["translation_en"]["backend"] == "bergamot" and preamble["back_provenance"]["backend"] == "bergamot"
    assert kept["udhr-spa-article-1"]["translation_en"]["backend"] == "apertium"
    budget = preamble["translation_en"]["context_budget"]
    assert budget["segments_kept"] == 4 < budget["segments_total"]
    assert preamble["text_en"].count("\n") == 3 == preamble["text_back"].count("\n")
    assert preamble["text_back"].startswith("Considerando")
    article = kept["udhr-spa-article-1"]
    assert "context_budget" not in article["translation_en"] and article["text_back"].startswith("Todo")
    [cache_file] = (tmp_path / "out" / "cache" / "translations").glob("*.sqlite")  # one process wrote it
    with sqlite3.connect(cache_file) as db:
        pairs = dict(db.execute("SELECT src || '>' || tgt, COUNT(*) FROM translations GROUP BY 1").fetchall())
    assert set(pairs) == {"spa>eng", "por>eng", "eng>spa", "eng>por"}


def test_stage_outcomes_for_bad_records():
    from muri_gen.backends.translate.apertium import ApertiumTranslator
    from muri_gen.record import Rejected
    from muri_gen.translation.documents import DocumentTranslator

    stage = Translate(TranslateConfig(direction="to_source"), context=None)
    stage.translator = ApertiumTranslator(ApertiumTranslator.Config())
    stage.documents = DocumentTranslator(stage.translator)
    records = [
        {"id": "1", "language": "spa", "instruction_en": "Explain the right to education."},
        {"id": "2", "language": "spa", "instruction_en": "  "},
        {"id": "3", "language": "spa"},
        {"id": "4", "language": "eus", "instruction_en": "Explain."},  # Apertium has eu->en only
        {"id": "5", "language": "eng", "instruction_en": "Explain."},
        {"id": "6", "language": None, "instruction_en": "Explain."},
    ]
    outcomes = stage.process(records)
    assert outcomes[0]["instruction"].startswith("Explica") and outcomes[0]["translation_src"]["tgt"] == "spa"
    assert outcomes[1] == outcomes[2] == Rejected("empty_text", {"field": "instruction_en"})
    assert outcomes[3] == Rejected("unsupported_language", {"src": "eng", "tgt": "eus", "translator": "mt"})
    assert outcomes[4]["instruction"] == "Explain." and outcomes[4]["translation_src"] == {"skipped": "already_english"}
    assert outcomes[5].reason == "unknown_language"


def test_a_serbian_document_is_translated_back_in_its_own_script(tmp_path):
    """Language ID writes the script; the back-translation keeps it: the Cyrillic article's text comes
    back in Cyrillic, the Latin one's in Latin (Apertium writes Serbo-Croatian in Latin only)."""
    from muri_gen.corpora import declarations, documents
    from muri_gen.text import dominant_script

    rows = [{**row, "language": "hbs"} for code in ("srp_cyrl", "srp_latn")
            for row in documents(declarations([code])[0]) if row["id"].endswith("article-1")]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        languages: [hbs]
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          lid: {{kind: lid, type: fasttext}}
          mt: {{kind: translator, type: apertium}}
        stages:
          - {{stage: language_id}}
          - {{stage: translate, translator: mt}}
          - {{stage: translate, id: back, translator: mt, direction: to_source, source_field: text_en,
             target_field: text_back, provenance_field: back_provenance}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    assert stats["kept"] == 2, stats
    kept = sorted(RunDir(tmp_path / "out").kept_records(), key=lambda r: r["script"])
    assert [r["script"] for r in kept] == ["Cyrl", "Latn"]
    assert [dominant_script(r["text_back"])[0] for r in kept] == ["Cyrl", "Latn"]
    cyrillic, latin = kept
    assert cyrillic["text_en"] == latin["text_en"] and cyrillic["text_en"].startswith("All")
    assert cyrillic["back_provenance"]["tgt"] == "hbs_Cyrl" and latin["back_provenance"]["tgt"] == "hbs"
