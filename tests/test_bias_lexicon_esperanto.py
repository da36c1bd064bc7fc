"""The Esperanto bias lexicon (filters/bias/*/eo.tsv) against Apertium's dictionary and real text, the
trace of a real proverb through Apertium to English and back, and swaps (Esperanto has no agreement)."""
from pathlib import Path

import pytest

from muri_gen.assets import udhr_declarations
from muri_gen.backends.translate.apertium import ApertiumConfig, ApertiumTranslator
from muri_gen.bias.counting import CooccurrenceCounter
from muri_gen.bias.lexicon_check import coverage, form_problems
from muri_gen.bias.lexicons import load_lexicon
from muri_gen.bias.mitigate.swap import swapper
from muri_gen.corpora import documents, read_declaration

KLAVARO = Path("/usr/share/klavaro/eo.paragraphs")  # Debian klavaro (make system), GPL-3+
# Zamenhof, Proverbaro Esperanta (1910, public domain), as Debian's fortunes-eo ships it
PROVERB = "Se vendisto ne mensogas, li aĉetanton ne allogas."


def feminine(form: str) -> str:
    """The -in- form of a noun in any of its four forms: "kuraciston" -> "kuracistinon"."""
    ending = next(e for e in ("ojn", "on", "oj", "o") if form.endswith(e))
    return form[: -len(ending)] + "in" + ending


def test_every_feminine_form_is_feminine_for_apertium_and_has_its_bare_form():
    lexicon = load_lexicon("epo")
    assert len(lexicon.occupations) == 38  # mover and CEO have no one-word name
    assert [p for p in form_problems("epo") if "listed" in p] == []
    for name, forms in lexicon.forms.items():
        assert forms.male == (), name  # bare forms are epicene in today's Esperanto
        assert set(forms.female) == {feminine(form) for form in forms.neutral}, name
    assert {"li", "lin", "lia"} <= lexicon.male_words and {"ŝi", "ŝin", "ŝia", "virino", "patrinojn"} <= lexicon.female_words


def test_lexicon_finds_the_feminine_words_and_pronouns_of_real_esperanto():
    """klavaro's Esperanto paragraphs: every feminine noun and "ŝi" Apertium finds is in the lexicon;
    the rest of the reference is mostly Apertium's masculine tag on bare person roots ("amiko",
    "leganto", "doktoro"), which the lexicon takes as epicene (filters/bias/README.md)."""
    result = coverage(KLAVARO.read_text(encoding="utf-8").split("\n\n"), "epo")
    assert result.female_reference >= 5 and result.female_found == result.female_reference, result.as_dict()
    assert result.share >= 0.45, result.as_dict()
    udhr = [d["text"] for d in documents(read_declaration(udhr_declarations() / "epo.html"))]
    assert coverage(udhr, "epo").share >= 0.7


def test_a_proverbs_gender_reaches_english_through_apertium_and_comes_back():
    native = CooccurrenceCounter("epo").window(PROVERB)
    assert native == {"salesperson": (0, 1)}  # "vendisto" is epicene: the male signal is "li"
    translator = ApertiumTranslator(ApertiumConfig())
    english = translator.translate_batch([PROVERB], "epo", "eng")[0]
    assert CooccurrenceCounter("eng").window(english) == {"salesperson": (0, 1)}, english  # "vendor ... he"
    back = translator.translate_batch([english], "eng", "epo")[0]
    assert CooccurrenceCounter("epo").window(back) == {"salesperson": (0, 1)}, back


@pytest.mark.parametrize("text,expected", [
    (PROVERB, "Se vendistino ne mensogas, ŝi aĉetanton ne allogas."),
    ("La kuracistino diris al sia edzo, ke ŝia filo venos.", "La kuracisto diris al sia edzino, ke lia filino venos."),
    # no agreement to mend: the article and adjectives are the same for both genders
    ("Li vidis la junan instruistinon kaj ŝian patrinon.", "Ŝi vidis la junan instruiston kaj lian patron."),
    # what it cannot do: a bare occupation form says no gender, yet going to the feminine marks it
    ("La kuracistoj laboras.", "La kuracistinoj laboras."),
])
def test_esperanto_swaps_need_no_agreement(text, expected):
    assert swapper("eo").swap(text)[0] == expected
