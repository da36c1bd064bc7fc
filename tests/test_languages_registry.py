"""The language registry against the standards, on real text: every UDHR declaration is in its
language's default script, NLLB-200's codes map both ways, scripts are ISO 15924 codes."""
import re

import pycountry
import pytest

from muri_gen import languages as L
from muri_gen.corpora import declarations
from muri_gen.text import WordSegmenter, dominant_script, script_matches
from muri_gen.translation.segment import split_long

# UDHR declarations whose text is not in the registry's default script although the package does
# not tag their script (declarations it tags, like srp_latn "sr-Latn", are checked against the tag).
WRITTEN_OTHERWISE = {
    "032": ("Latn", "South Azerbaijani, Latin transliteration; FLORES-200 and Iran write it in Arabic script"),
    "tzm": ("Latn", "Central Atlas Tamazight in Latin; tzm_tfng is the Tifinagh one FLORES-200 uses"),
    "bax": ("Latn", "Bamum is written in Latin today; CLDR's likely script is the historical Bamum script"),
    "blu": ("Latn", "Hmong Njua in the Romanized Popular Alphabet; CLDR says Nyiakeng Puachue"),
    "ctd": ("Latn", "Tedim Chin in Latin; CLDR says Pau Cin Hau, the script a religious movement made for it"),
    "lad": ("Latn", "Ladino's modern standard is Latin; CLDR says Hebrew (its Rashi tradition)"),
    "swb": ("Latn", "Maore Comorian in Latin; CLDR says Arabic"),
    "zdj": ("Latn", "Ngazidja Comorian in Latin; CLDR says Arabic"),
    # Languages of Siberia CLDR has no data on: the registry falls back to Latin, they are in Cyrillic
    **{code: ("Cyrl", "a language of Russia CLDR does not know: the registry's Latin is a fallback")
       for code in ("cjs", "eve", "evn", "gld", "kjh", "nio", "niv", "oaa", "ykg", "yrk")},
}
_TAGGED_SCRIPT = re.compile(r"-(?P<script>[A-Z][a-z]{3})\b")


def udhr_scripts():
    for declaration in declarations():
        if declaration.iso6393 == "und":  # the package's unidentified varieties
            continue
        text = "\n".join(section for _, section in declaration.sections)
        yield declaration, dominant_script(text)[0]


def test_every_udhr_declaration_is_in_its_languages_default_script():
    checked, wrong = 0, []
    for declaration, detected in udhr_scripts():
        default = L.get(declaration.iso6393).script
        tagged = _TAGGED_SCRIPT.search(declaration.bcp47)
        expected = WRITTEN_OTHERWISE.get(declaration.code, (tagged["script"] if tagged else default,))[0]
        if declaration.code in WRITTEN_OTHERWISE:
            assert not script_matches(detected, default), f"{declaration.code} is no exception any more"
        if not script_matches(detected, expected):
            wrong.append((declaration.code, declaration.iso6393, expected, detected))
        checked += 1
    assert checked > 500 and wrong == []


def test_detected_scripts_are_iso_15924_codes():
    scripts = {detected for _, detected in udhr_scripts()}
    assert {"Latn", "Cyrl", "Arab", "Hans", "Hant", "Jpan", "Hang", "Adlm", "Tfng", "Mong"} <= scripts
    assert all(pycountry.scripts.get(alpha_4=s) for s in scripts), scripts
    # Hanifi Rohingya and Ol Chiki are their own scripts, not Han and not "Ol"
    assert dominant_script("𐴀𐴞𐴕𐴐𐴝𐴦𐴕 𐴓𐴠𐴑𐴤𐴝")[0] == "Rohg" and dominant_script("ᱥᱟᱱᱛᱟᱲᱤ")[0] == "Olck"


def test_iso_639_3_macrolanguages_and_their_members():
    macros = L.macrolanguages()
    assert len(macros) == 63 and sum(len(m) for m in macros.values()) == 444
    assert {"arz", "ary", "apc", "arb"} <= L.members("ara") and L.macrolanguage("pbt") == "pus"
    assert L.covers("ara", "arz") and L.covers("hbs", "cnr") and not L.covers("arz", "ary")
    assert L.get("arz").name == "Egyptian Arabic" and L.get("ajp").code == L.retired_code("ajp") == "apc"


@pytest.mark.parametrize("code, script", [
    ("arz", "Arab"), ("ary", "Arab"), ("apc", "Arab"), ("pbt", "Arab"), ("ydd", "Hebr"), ("khk", "Cyrl"),
    ("pnb", "Arab"), ("sat", "Olck"), ("shn", "Mymr"), ("kor", "Hang"), ("zho", "Hans"), ("yue", "Hant"),
])
def test_default_scripts_of_languages_the_old_table_had_in_latin(code, script):
    assert L.get(code).script == script


def test_nllb_codes_follow_the_detected_script():
    for tag in ("arz_Arab", "zho_Hant", "srp_Cyrl", "knc_Arab", "knc_Latn", "taq_Tfng", "kas_Deva", "sat_Beng"):
        assert L.nllb_code(L.from_backend(tag).tag) == tag
    assert L.nllb_code("arz") == "arz_Arab" and L.nllb_code("cmn_Hant") == "zho_Hant"
    # Santali's FLORES-200 text is Ol Chiki under a Bengali label; Kashmiri written in Devanagari keeps it
    assert L.nllb_code("sat") == "sat_Beng" and L.nllb_code("kas_Deva") == "kas_Deva"
    assert L.nllb_code("hbs") == "hrv_Latn" and L.nllb_code("hbs_Cyrl") == "srp_Cyrl"


def test_icu_word_boundaries_stay_aligned_after_characters_beyond_the_bmp():
    # ICU counts UTF-16 units: two emoji (two units each) shifted every boundary by two characters
    thai = "สวัสดีครับไปไหนมาภาษาไทย"
    assert split_long("😀😀" + thai, max_tokens=4, count=len) == ["😀😀", *split_long(thai, max_tokens=4, count=len)]
    assert WordSegmenter().words("𠀀" + thai, "Thai")[1:] == WordSegmenter().words(thai, "Thai")


def test_languages_command_lists_the_registry_and_a_recipes_backends():
    import json
    from typer.testing import CliRunner

    from muri_gen.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["languages", "arz", "zho_Hant", "hbs", "--json"])
    assert result.exit_code == 0, result.output
    arz, zho, hbs = [json.loads(line) for line in result.stdout.splitlines()]
    assert arz == {"code": "arz", "name": "Egyptian Arabic", "script": "Arab", "macrolanguage": "ara",
                   "members": [], "nllb": "arz_Arab"}
    assert (zho["script"], zho["nllb"]) == ("Hant", "zho_Hant") and {"cmn", "yue"} <= set(zho["members"])
    assert hbs["members"] == ["bos", "cnr", "hrv", "srp"] and hbs["nllb"] == "hrv_Latn"
    # by default every language NLLB-200 translates, in its default script (second scripts and retired ajp aside)
    every = runner.invoke(app, ["languages", "--json"]).stdout.splitlines()
    second = {"ajp_Arab", "knc_Arab", "kas_Deva", "taq_Tfng", "zho_Hant", "ace_Arab", "bjn_Arab"}
    assert {json.loads(line)["nllb"] for line in every} == L.nllb_codes() - second
    # the demo recipe: lid.176 knows Esperanto; Bergamot translates Portuguese but not Esperanto
    result = runner.invoke(app, ["languages", "epo", "por", "tha", "--recipe", "pipelines/demo.yaml", "--json"])
    epo, por, tha = [json.loads(line) for line in result.stdout.splitlines()]
    assert epo["lid"] == por["lid"] == tha["lid"] == ["lid"]
    assert "bergamot" in por["translator"] and "bergamot" not in epo["translator"] and "apertium" in epo["translator"]
    assert tha["translator"] == []
    assert runner.invoke(app, ["languages", "xx"]).exit_code == 2


def test_a_resource_finds_a_language_under_its_own_codes_then_its_macrolanguages():
    assert L.family_codes("hrv") == ("hr", "hrv", "sh", "hbs")  # Croatian, then Serbo-Croatian
    assert L.family_codes("spa_Latn") == ("es", "spa")
    assert L.family_codes("not a language") == ()


def test_a_records_script_joins_its_language_only_where_the_language_is_written_in_it():
    assert L.tag_in_script("hbs", "Cyrl") == "hbs_Cyrl" and L.tag_in_script("srp", "Latn") == "srp_Latn"
    assert L.tag_in_script("hbs", "Latn") == "hbs" and L.tag_in_script("srp", "Cyrl") == "srp"
    assert L.tag_in_script("cmn", "Hant") == "cmn_Hant"
    # a mislabelled record (a Spanish label on Cyrillic text), no script, an unknown language: as given
    assert L.tag_in_script("spa", "Cyrl") == "spa" and L.tag_in_script("spa", None) == "spa"
    assert L.tag_in_script("und", "Latn") == "und"
