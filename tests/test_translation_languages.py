"""The language registry speaks every backend's codes, both ways, and names unsupported pairs."""
import textwrap

import cyrtranslit
import pytest

from muri_gen import languages as L
from muri_gen.backends.translate.apertium import ApertiumTranslator
from muri_gen.backends.translate.bergamot import BergamotTranslator
from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.text import dominant_script


def test_every_nllb_code_maps_to_a_language_and_back():
    codes = L.nllb_codes()
    assert len(codes) == 202
    for code in codes:
        language = L.from_backend(code)
        if L.retired_code(code.split("_")[0]):  # ajp, merged into apc in 2023
            assert language.code == L.retired_code(code.split("_")[0]) == "apc"
            continue
        assert L.nllb_code(language.tag) == code, (code, language)
    assert L.nllb_code("spa") == "spa_Latn" and L.nllb_code("ara") == "arb_Arab" and L.nllb_code("zh") == "zho_Hans"
    assert L.from_backend("arb_Arab").code == "ara" and L.from_backend("zho_Hant").script == "Hant"


@pytest.mark.parametrize("code, madlad, lid176, glotlid", [
    ("spa", "<2es>", "__label__es", "__label__spa_Latn"),
    ("por", "<2pt>", "__label__pt", "__label__por_Latn"),
    ("epo", "<2eo>", "__label__eo", "__label__epo_Latn"),
    ("hbs", "<2sh>", "__label__sh", "__label__hbs_Latn"),
    ("rus", "<2ru>", "__label__ru", "__label__rus_Cyrl"),
    ("hin", "<2hi>", "__label__hi", "__label__hin_Deva"),
    ("jpn", "<2ja>", "__label__ja", "__label__jpn_Jpan"),
    ("ceb", "<2ceb>", "__label__ceb", "__label__ceb_Latn"),
])
def test_madlad_and_fasttext_codes_both_ways(code, madlad, lid176, glotlid):
    assert (L.madlad_code(code), L.fasttext_label(code), L.fasttext_label(code, "glotlid")) == (madlad, lid176, glotlid)
    for label in (madlad, lid176, glotlid):
        assert L.from_backend(label).code == code


def test_every_installed_apertium_pair_maps_both_ways():
    modes = ApertiumTranslator(ApertiumTranslator.Config()).modes
    pairs = {}
    for mode in modes:
        parsed = L.apertium_mode_languages(mode)
        if parsed and parsed[2] is None:
            pairs[parsed[:2]] = mode
    expected_into_english = {"spa", "cat", "glg", "epo", "hbs", "eus", "isl", "mkd"}
    assert {src for src, tgt in pairs if tgt == "eng"} >= expected_into_english
    assert {tgt for src, tgt in pairs if src == "eng"} >= {"spa", "cat", "glg", "epo", "hbs"}
    for (src, tgt), mode in pairs.items():
        assert L.apertium_mode(src, tgt, modes) == mode
    # Serbo-Croatian: any of its standards in, the matching variant out
    assert L.apertium_mode("hrv", "eng", modes) == L.apertium_mode("srp", "eng", modes) == "hbs-eng"
    assert L.apertium_mode("eng", "hrv", modes) == "eng-hbs_HR" and L.apertium_mode("eng", "srp", modes) == "eng-hbs_SR"
    assert L.from_backend("hbs_HR").code == "hrv" and L.from_backend("gl").code == "glg"
    assert L.apertium_mode("eng", "eus", modes) is None and L.apertium_mode("eng-spa", "x", modes) is None


def test_serbian_cyrillic_is_translated_like_latin():
    """Apertium's hbs pairs read Latin script only; Cyrillic went through untranslated until the
    backend transliterated it first (Serbian Cyrillic maps letter for letter)."""
    translator = ApertiumTranslator(ApertiumTranslator.Config())
    cyrillic, latin = "Моја мајка је учитељица.", "Moja majka je učiteljica."
    assert translator.translate_batch([cyrillic, latin], "srp", "eng") == ["My mother is teacher."] * 2
    assert translator.translate_batch([cyrillic], "hbs", "eng") == ["My mother is teacher."]


def test_serbian_instructions_are_written_in_the_documents_script():
    """Apertium writes Serbo-Croatian in Latin only: a Cyrillic Serbian document got a Latin
    instruction. Serbian (Cyrillic by default) and hbs_Cyrl are now written back in Cyrillic, the
    words Apertium did not translate left in Latin; Latin Serbian and Croatian stay Latin."""
    translator = ApertiumTranslator(ApertiumTranslator.Config())
    english = ["My mother is a teacher.", "Write a summary of the film about Zlatko.", "Write to a@b.com about item #1."]
    latin = translator.translate_batch(english, "eng", "srp_Latn")
    cyrillic = translator.translate_batch(english, "eng", "srp")
    assert translator.translate_batch(english, "eng", "hbs_Cyrl") == cyrillic
    assert dominant_script(latin[0])[0] == "Latn" and dominant_script(cyrillic[0])[0] == "Cyrl"
    assert "мајка" in cyrillic[0] and "Zlatko" in cyrillic[1] and "about" in cyrillic[1]  # the last two untranslated
    assert "a@b.com" in cyrillic[2] and "#1" in cyrillic[2]  # the text's own '@' and '#' are not Apertium's marks
    assert [cyrtranslit.to_latin(t, "sr") for t in cyrillic] == latin  # the same translation, letter for letter
    assert translator.supports("eng", "hbs_Cyrl") and translator.supports("srp_Latn", "eng")
    assert not translator.supports("eng", "spa_Cyrl") and not translator.supports("eng", "not-a-language")


def test_bergamot_pairs_both_ways():
    backend = BergamotTranslator(BergamotTranslator.Config())
    assert L.bergamot_direction("por", "eng") == "pt-en" and L.bergamot_direction("eng", "por") == "en-pt"
    assert [L.from_backend(c).code for c in "pt-en".split("-")] == ["por", "eng"]
    assert backend.supports("por", "eng") and backend.supports("eng", "por") and not backend.supports("spa", "eng")


def write_recipe(tmp_path, languages, routes, direction="to_english"):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Hola."}\n')
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: t
        languages: {languages}
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          apertium: {{kind: translator, type: apertium}}
          bergamot: {{kind: translator, type: bergamot}}
          mt: {{kind: translator, type: router, routes: {routes}}}
        stages:
          - {{stage: translate, translator: mt, language_field: declared_language, direction: {direction}}}
        """))
    return path


ROUTES = "[{languages: [por], translator: bergamot}, {translator: apertium}]"


def test_the_recipe_is_refused_for_a_pair_no_route_translates(tmp_path):
    assert load_recipe(write_recipe(tmp_path, "[spa, por, glg, hbs, eus]", ROUTES))
    with pytest.raises(RecipeError) as err:
        load_recipe(write_recipe(tmp_path, "[spa, deu, tha]", ROUTES))
    problems = err.value.problems
    assert len(problems) == 2 and "line 10" in problems[0]
    assert "cannot translate German (deu) -> English (eng)" in problems[0] and "(tha)" in problems[1]
    assert "(router: bergamot for por, apertium for any language)" in problems[0]
    # Basque is translated into English but not back
    with pytest.raises(RecipeError, match=r"English \(eng\) -> Basque \(eus\)"):
        load_recipe(write_recipe(tmp_path, "[spa, eus]", ROUTES, direction="to_source"))


def test_a_route_to_a_missing_backend_is_refused(tmp_path):
    with pytest.raises(RecipeError, match="route 1 names 'nllb', which is not a translator"):
        load_recipe(write_recipe(tmp_path, "[spa]", "[{languages: [por], translator: bergamot}, {translator: nllb}]"))
