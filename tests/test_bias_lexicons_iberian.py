"""Portuguese, Catalan and Galician bias lexicons against Apertium's dictionaries and real text, the
demo's people corpus (Debian fortunes and klavaro), the trace on it, and swaps with agreement."""
import json
from pathlib import Path

import pytest

from muri_gen.assets import udhr_declarations
from muri_gen.backends.translate.apertium import ApertiumConfig, ApertiumTranslator
from muri_gen.bias import derive_gender_words
from muri_gen.bias.lexicon_check import coverage, form_problems
from muri_gen.bias.lexicons import LEXICON_DIR, load_lexicon
from muri_gen.bias.mitigate.swap import swapper
from muri_gen.bias.trace import trace_rows
from muri_gen.corpora import documents, read_declaration
from muri_gen import people_corpus

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = ROOT / "pipelines" / "data" / "people-demo.jsonl"
NEW = ("pt", "ca", "gl")


def people_rows() -> list[dict]:
    return [json.loads(line) for line in PEOPLE.read_text(encoding="utf-8").splitlines()]


def udhr(code: str) -> list[str]:
    return [d["text"] for d in documents(read_declaration(udhr_declarations() / f"{code}.html"))]


@pytest.mark.parametrize("language", NEW)
def test_gendered_words_have_their_gender_in_apertiums_dictionary(language):
    lexicon = load_lexicon(language)
    assert len(lexicon.occupations) >= 37
    assert len(lexicon.female_words) > 100 and len(lexicon.male_words) > 90
    conflicts = [p for p in form_problems(language) if "unknown" not in p]
    assert conflicts == []


def test_derived_gender_words_rebuild_byte_for_byte(tmp_path, monkeypatch):
    shipped = {code: (LEXICON_DIR / "gender" / f"{code}.tsv").read_text(encoding="utf-8") for code in NEW}
    copy = tmp_path / "gender"
    copy.mkdir()
    for code, text in shipped.items():
        (copy / f"{code}.tsv").write_text(text.split(derive_gender_words.DERIVED)[0], encoding="utf-8")
    (copy / "es.tsv").write_text((LEXICON_DIR / "gender" / "es.tsv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(derive_gender_words, "LEXICON_DIR", tmp_path)
    for code, words in derive_gender_words.derive().items():
        derive_gender_words.write(code, words)
        assert (copy / f"{code}.tsv").read_text(encoding="utf-8") == shipped[code], code


# floors a little under the shares measured and reported in filters/bias/README.md
@pytest.mark.parametrize("language,code,floor", [("pt", "por_PT", 0.45), ("ca", "cat", 0.2), ("gl", "glg", 0.3)])
def test_lexicon_finds_most_gendered_person_words_of_the_udhr(language, code, floor):
    result = coverage(udhr(code), language)
    assert result.reference >= 10
    assert result.share >= floor, result.as_dict()


def test_portuguese_lexicon_covers_the_brazilian_fortunes():
    texts = people_corpus.split_documents(Path("/usr/share/games/fortunes/brasil").read_text(encoding="utf-8"), "%")
    result = coverage(texts, "pt")
    assert result.reference > 800 and result.share >= 0.55, result.as_dict()


def test_people_corpus_rebuilds_from_the_debian_packages(tmp_path):
    counts = people_corpus.build(tmp_path / "people.jsonl")
    assert (tmp_path / "people.jsonl").read_bytes() == PEOPLE.read_bytes()
    assert counts == {"por": 6, "spa": 6, "ita": 6, "cat": 2, "glg": 1, "fra": 1, "hbs": 2}


def test_every_people_document_names_an_occupation_with_a_gender():
    from muri_gen.bias.counting import CooccurrenceCounter

    for row in people_rows():
        assert people_corpus.occupations_with_gender(CooccurrenceCounter(row["language"]), row["text"]), row["id"]
        assert "\n\n" not in row["text"] or all(p.strip() for p in row["text"].split("\n\n"))


def translated(rows: list[dict], *steps: tuple[str, str]) -> list[dict]:
    """Rows with text_en through Apertium, one step after another (ita -> spa -> eng, as the demo)."""
    texts = [r["text"] for r in rows]
    for source, target in steps:
        texts = ApertiumTranslator(ApertiumConfig()).translate_batch(texts, source, target)
    return [{**row, "text_en": text} for row, text in zip(rows, texts)]


def test_trace_of_the_people_corpus_has_native_and_english_evidence():
    """Native documents in six languages, the Spanish ones translated to English by Apertium."""
    rows = people_rows()
    rows = [r for r in rows if r["language"] != "spa"] + translated([r for r in rows if r["language"] == "spa"], ("spa", "eng"))
    trace = trace_rows(rows, ci_samples=50)
    native = trace["summary"]["native_document"]["languages"]
    assert set(native) == {"por", "spa", "ita", "cat", "glg", "fra", "hbs"}
    assert all(native[lang]["occupations_with_evidence"] >= 1 for lang in native)
    assert native["por"]["occupations_with_evidence"] >= 5 and native["ita"]["occupations_with_evidence"] >= 5
    writer = trace["stages"]["native_document"]["languages"]["spa"]["occupations"]["writer"]
    assert writer["male"] >= 2  # "Escritor y filósofo francés", "Escritor alemán"
    # in English the writers are still there, but without a gender: it was in the form "Escritor"
    english_writer = trace["stages"]["english_document"]["languages"]["spa"]["occupations"]["writer"]
    assert english_writer["sentences"] >= 2 and english_writer["female"] == english_writer["male"] == 0
    assert trace["stages"]["native_document"]["languages"]["por"]["overall_sta"] is not None


def test_people_documents_with_a_person_word_keep_their_gender_in_english():
    """The Italian documents chosen first (an occupation beside "moglie", "uomo", "padre"...) go to
    English as the demo sends them, through Spanish with Apertium: some gender reaches English,
    female as well as male, which the occupation's form alone ("segretaria" -> "secretary") cannot do."""
    from muri_gen.bias.counting import CooccurrenceCounter

    italian = [r for r in people_rows() if r["language"] == "ita"]
    counter = CooccurrenceCounter("ita")
    assert all(people_corpus.occupations_with_person_word(counter, r["text"]) for r in italian)
    assert not people_corpus.occupations_with_person_word(counter, "La segretaria scrive una lettera.")
    trace = trace_rows(translated(italian, ("ita", "spa"), ("spa", "eng")), ci_samples=50)
    english = trace["stages"]["english_document"]["languages"]["ita"]["occupations"]
    gendered = {name for name, c in english.items() if c["female"] or c["male"]}
    assert len(gendered) >= 4, english
    assert english["secretary"]["female"] >= 1  # "una bella segretaria"
    assert english["physician"]["male"] >= 1  # "Un tizio va dal medico e gli chiede" -> "asks him"


def test_a_portuguese_people_document_keeps_its_writers_gender_in_english():
    """The one Portuguese fortune with a pronoun in the occupation's sentence, through Bergamot as the demo sends it."""
    from muri_gen.backends.translate.bergamot import BergamotConfig, BergamotTranslator

    row = next(r for r in people_rows() if r["id"] == "people-por-brasil-1326")
    english = BergamotTranslator(BergamotConfig()).translate_batch(row["text"].split("\n\n"), "por", "eng")
    trace = trace_rows([{**row, "text_en": "\n\n".join(english)}], ci_samples=20)
    assert trace["stages"]["english_document"]["languages"]["por"]["occupations"]["writer"]["male"] == 1, english


@pytest.mark.parametrize("language,text,expected", [
    # from fortunes-br (people-demo.jsonl): the secretary asks "Doutor Matheus"
    ("pt", "o secretário, preenchendo o cheque, pergunta: - Doutor Matheus",
     "a secretária, preenchendo o cheque, pergunta: - Doutora Matheus"),
    ("pt", "Com seis anos de idade eu queria ser cozinheiro.", "Com seis anos de idade eu queria ser cozinheira."),
    ("pt", "O meu filho e a sua irmã; o livro do médico.", "A minha filha e o seu irmão; o livro do médico."),
    # from klavaro ca.paragraphs: "el mestre d'aquell poble"
    ("ca", "És el cas, que el mestre d'aquell poble tot ho feia aprendre cantant.",
     "És el cas, que la mestra d'aquell poble tot ho feia aprendre cantant."),
    ("gl", "Para o campesiño tradicional o papel do sol era fundamental",
     "Para a campesiña tradicional o papel do sol era fundamental"),
    # from fortunes-es (people-demo.jsonl): J. C. Penny, Paracelso
    ("es", "Muéstrame un obrero con grandes sueños y en él encontrarás un hombre que puede cambiar la historia.",
     "Muéstrame una obrera con grandes sueños y en ella encontrarás una mujer que puede cambiar la historia."),
    ("es", "Deberíamos servir a la naturaleza y no contrariarla; ella es la maestra.",
     "Deberíamos servir a la naturaleza y no contrariarla; él es el maestro."),
    ("es", "El Padre de los niños y la casa de este señor.", "La Madre de las niñas y la casa de esta señora."),
    # from fortunes-it (people-demo.jsonl): the possessive agrees with the person owned
    ("it", "vostra moglie vi tradisce con il panettiere sotto casa; state per perdere il lavoro",
     "vostro marito vi tradisce con la panettiera sotto casa; state per perdere il lavoro"),
    ("it", "La maestra interroga Pierino in storia: \"Cosa divenne Carlo Alberto quando mori' suo padre?\"",
     "Il maestro interroga Pierino in storia: \"Cosa divenne Carlo Alberto quando mori' sua madre?\""),
    ("it", "Mostrami un uomo che sia un buon perdente ed io ti mostrero' un uomo che sta giocando a golf con il suo capo.",
     "Mostrami una donna che sia un buon perdente ed io ti mostrero' una donna che sta giocando a golf con il suo capo."),
    # the known limits: an adjective before the noun stops the chain; "il" is taken before a vowel
    ("it", "Dettata a una bella segretaria egiziana", "Dettata a una bella segretario egiziana"),
    ("it", "la donna e le ragazze dei vicini", "il uomo e i ragazzi dei vicini"),
])
def test_swaps_change_the_agreeing_article_and_leave_other_words(language, text, expected):
    assert swapper(language).swap(text)[0] == expected


def test_augmentation_copies_the_people_texts_in_the_new_languages():
    """Classic CDA on the people corpus (its first sentence as the instruction): every pt/ca/gl row
    gets a gender-swapped copy, with the article agreeing with the swapped noun."""
    from muri_gen.bias.counting import split_sentences
    from muri_gen.bias.mitigate.augment import AugmentConfig, CounterfactualAugmentation

    rows = [{**row, "instruction": split_sentences(row["text"], row["language"])[0]}
            for row in people_rows() if row["language"] in ("por", "cat", "glg")]
    result = CounterfactualAugmentation(AugmentConfig(fields="both")).apply(rows)
    copies = {r["counterfactual_of"]: r for r in result.records if r["counterfactual_of"]}
    assert not any(reason.startswith("no_swap_list") for reason in result.summary["not_copied"])
    assert len(copies) >= len(rows) - 1, result.summary
    assert "eu queria ser cozinheira" in copies["people-por-brasil-1847"]["text"]
    assert "la mestra d'aquell poble" in copies["people-cat-ca.paragraphs-12"]["text"]
    assert "a campesiña tradicional" in copies["people-glg-gl.paragraphs-10"]["text"]
