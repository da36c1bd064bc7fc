"""The Serbo-Croatian bias lexicon (filters/bias/*/sh.tsv): one list for Croatian, Serbian and Bosnian,
Latin and Cyrillic, declined forms checked against Apertium's dictionary, counted on real text, swapped."""
from pathlib import Path

import pytest

from muri_gen.assets import udhr_declarations
from muri_gen.bias.counting import CooccurrenceCounter, split_sentences
from muri_gen.bias.lexicon_check import Apertium, coverage, form_problems, lexicon_words
from muri_gen.bias.lexicons import file_code, load_lexicon
from muri_gen.bias.mitigate.swap import swapper
from muri_gen.corpora import documents, read_declaration
from muri_gen.text import dominant_script

KLAVARO = Path("/usr/share/klavaro")  # Debian klavaro (make system), GPL-3+: hr.paragraphs, sr.paragraphs
CASES = ("nom", "gen", "dat", "acc", "voc", "loc", "ins")
# what Apertium's generator writes that the lexicon leaves out on purpose
NOT_LISTED = {"otca", "otcu", "otcem", "otče", "otci", "otaca", "otcima", "otce",  # the old spelling of "oca"
              "gospodini", "gospodinima",  # the plural in use is the collective "gospoda"
              "zaručnici",  # masculine plural and feminine dative alike
              "pekara", "pekari", "pekaru", "pekare", "pekarom",  # of "pekar" (baker) and "pekara" (bakery) alike
              "čistačom"}  # a soft stem's instrumental is "čistačem", as for "vozač", "prodavač", "krojač"


def test_one_list_serves_every_standard_and_script():
    assert {file_code(code) for code in ("hbs", "hrv", "srp", "bos", "sh")} == {"sh"}
    lexicon = load_lexicon("srp")
    assert lexicon == load_lexicon("hrv") and len(lexicon.occupations) == 36
    for sentence, expected in [("Liječnica je rekla da će doći.", {"physician": (1, 0)}),
                               ("Лекарка је рекла да ће доћи.", {"physician": (1, 0)}),
                               ("Razgovarao je s medicinskom sestrom.", {"nurse": (1, 0)}),
                               ("Liječnici su došli.", {"physician": (0, 1)})]:  # the masculine plural, generic too
        assert CooccurrenceCounter("hrv").window(sentence) == expected, sentence


def test_every_declined_form_apertium_knows_has_its_gender_and_every_form_it_generates_is_listed():
    assert [p for p in form_problems("hbs") if "unknown" not in p] == []
    words = lexicon_words(load_lexicon("hbs"))
    apertium = Apertium("hbs")
    known = {}
    latin = sorted(w for w in words if dominant_script(w)[0] == "Latn")  # Apertium reads Latin
    for word, readings in apertium.analyse(latin).items():
        for lemma, gender, number, rest in apertium.nouns(readings):
            if lemma == word and number == "sg" and rest == "<nom>":
                known[lemma] = gender
    assert len(known) >= 50
    forms = apertium.generate([f"{lemma}<n><{gender}><{number}><{case}>" for lemma, gender in known.items()
                               for number in ("sg", "pl") for case in CASES])
    generated = {variant for form in forms if form for variant in form.split("/")}
    assert len(generated) > 300
    assert generated - set(words) - NOT_LISTED == set()


def test_lexicon_counts_real_croatian_and_serbian_text():
    """klavaro's Croatian and Serbian (Cyrillic) paragraphs, and the Croatian UDHR. Apertium's hbs
    dictionary knows few person nouns, so its reference is small; what it finds, the lexicon has."""
    croatian = (KLAVARO / "hr.paragraphs").read_text(encoding="utf-8").split("\n\n")
    result = coverage(croatian, "hrv")
    assert result.reference >= 10 and result.share >= 0.75, result.as_dict()
    udhr = [d["text"] for d in documents(read_declaration(udhr_declarations() / "hrv.html"))]
    assert coverage(udhr, "hrv").share >= 0.7
    windows = {}
    for path, language in (("hr.paragraphs", "hrv"), ("sr.paragraphs", "srp")):
        counter = CooccurrenceCounter(language)
        for paragraph in (KLAVARO / path).read_text(encoding="utf-8").split("\n\n"):
            for sentence in split_sentences(paragraph, language):
                for name, signal in counter.window(sentence).items():
                    windows.setdefault(name, set()).add(signal)
    # "postaje šef odjela" (Bartini), "Џејмс Блиш, писац научне фантастике", "родитеља и наставника"
    assert windows == {"chief": {(0, 1)}, "writer": {(0, 1)}, "teacher": {(0, 1)}}


@pytest.mark.parametrize("text,expected", [
    ("Otac je liječnik i on radi s učiteljicom.", "Majka je liječnica i ona radi s učiteljem."),
    # agreement is not mended: the participle "дошао" stays masculine
    ("Лекар је дошао са својом сестром.", "Лекарка је дошао са својом братом."),
    # the cases that pair one to one only: the genitive "liječnika" could be "liječnice" or, as accusative, "liječnicu"
    ("Pitali smo liječnika.", "Pitali smo liječnika."),
])
def test_swaps_pair_the_cases_that_pair_one_to_one(text, expected):
    assert swapper(file_code("hrv")).swap(text)[0] == expected
