"""The pivot translator: Catalan, Galician and Spanish to English through Portuguese (Apertium, then
Bergamot) and back, on real UDHR articles, in the translate stage with instruction candidates."""
import json
import textwrap

import pytest

from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.context import RunContext
from muri_gen.runner.layout import RunDir
from muri_gen.translation.documents import DocumentTranslator

BACKENDS = """\
backends:
  lid: {kind: lid, type: fasttext}
  apertium: {kind: translator, type: apertium}
  bergamot: {kind: translator, type: bergamot}
  via_por: {kind: translator, type: pivot, via: por, translators: [apertium, bergamot]}
  mt: {kind: translator, type: router, routes: [{languages: [por], translator: bergamot},
                                                {languages: [spa, cat, glg], translator: via_por},
                                                {translator: apertium}]}
"""


def recipe(tmp_path, stages="  - {stage: language_id, backend: lid}\n", languages="[spa, cat, glg, epo, por]",
           fields="{}"):
    path = tmp_path / "r.yaml"
    path.write_text(f"name: t\nlanguages: {languages}\n"
                    f"input: {{path: {tmp_path / 'in.jsonl'}, language_field: language, fields: {fields}}}\n"
                    f"output: {{dir: {tmp_path / 'out'}}}\n" + BACKENDS + "stages:\n" + stages)
    return load_recipe(path)


@pytest.fixture()
def context(tmp_path):
    (tmp_path / "in.jsonl").write_text("")
    ctx = RunContext(recipe(tmp_path), RunDir(tmp_path / "out"))
    yield ctx
    ctx.close()


def test_legs_are_chosen_per_direction_and_the_pivot_itself_is_refused(context):
    pivot = context.backend("via_por")
    assert pivot.supports("cat", "eng") and pivot.supports("eng", "glg") and pivot.supports("spa", "eng")
    assert not pivot.supports("por", "eng")  # the pivot language itself: translate directly
    assert not pivot.supports("hbs", "eng")  # no Apertium hbs <-> por pair
    pair = pivot.route("cat", "eng")
    assert [leg.name for leg in (pair.first, pair.second)] == ["apertium", "bergamot"]
    back = pivot.route("eng", "cat")
    assert [leg.name for leg in (back.first, back.second)] == ["bergamot", "apertium"]
    assert back.max_input_tokens == 128  # Bergamot's limit binds the segments of both legs


def test_catalan_and_galician_articles_come_out_as_fluent_english_and_back(context, udhr_rows):
    from muri_gen.corpora import declarations

    articles = {code: dict(declarations([code])[0].sections) for code in ("cat", "glg")}
    documents = DocumentTranslator(context.backend("mt"))
    catalan = documents.translate([articles["cat"]["article-4"]], "cat", "eng")[0]
    assert catalan.provenance["via"] == "por" and [leg["backend"] for leg in catalan.provenance["legs"]] == ["apertium", "bergamot"]
    # Apertium's direct cat-eng pair writes "Nobody will not be subjected at slavery ... at all llurs forms"
    assert "slavery" in catalan.text and "llurs" not in catalan.text and "will not be subjected at" not in catalan.text
    galician = documents.translate([articles["glg"]["article-3"]], "glg", "eng")[0].text
    assert "right" in galician.lower() and "security" in galician.lower()
    back = documents.translate(["Does everyone have the right to education, and should it be free?"], "eng", "glg")[0]
    assert back.text.startswith(("Todo", "Ten", "Todos")) and "educación" in back.text


def test_a_pivot_naming_a_missing_translator_fails_validation(tmp_path):
    (tmp_path / "in.jsonl").write_text("")
    broken = BACKENDS.replace("translators: [apertium, bergamot]", "translators: [apertium, nllb]")
    path = tmp_path / "r.yaml"
    path.write_text(f"name: t\nlanguages: [cat]\ninput: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}\n"
                    f"output: {{dir: {tmp_path / 'out'}}}\n" + broken +
                    "stages:\n  - {stage: language_id, backend: lid}\n  - {stage: translate, translator: via_por}\n")
    with pytest.raises(RecipeError, match="'nllb', which is not a translator"):
        load_recipe(path)


def test_the_translate_stage_brings_every_candidate_back(tmp_path, udhr_rows):
    """Candidates of a pair go back in the same calls; the selected instruction is one of them."""
    rows = [{"id": "c1", "text": "x", "language": "cat", "instruction_en": "What is the right to education?",
             "candidates": [{"instruction_en": "What is the right to education?"},
                            {"instruction_en": "Should school be free for everyone?"},
                            {"instruction_en": "  "}]}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    resolved = recipe(tmp_path, textwrap.dedent("""\
          - {stage: translate, id: back, translator: mt, direction: to_source, language_field: declared_language}
        """), "[cat]", "{instruction_en: instruction_en, candidates: candidates}")
    stats = run_recipe(resolved)
    assert stats["kept"] == 1, stats
    record = next(RunDir(tmp_path / "out").kept_records())
    texts = [c["instruction"] for c in record["candidates"]]
    assert len(texts) == 2  # the empty candidate has nothing to translate
    assert record["instruction"] == texts[0] and "educació" in texts[0]
    assert "escola" in texts[1] or "gratuït" in texts[1]
