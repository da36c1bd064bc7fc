"""The curate stage's signals on real text: language purity, degeneration, length demands against
native UDHR articles, and alignment by embedding rank with the two embedded models (multilingual
USE and multilingual-e5-small) on the UDHR in English, Spanish and Catalan."""
import cyrtranslit
import pytest

from muri_gen.backends.embed.e5 import E5Embedder
from muri_gen.backends.embed.use import USEEmbedder
from muri_gen.corpora import declarations
from muri_gen.curation.alignment import AlignmentScorer, Query
from muri_gen.curation.degeneration import degeneration
from muri_gen.curation.length import Demand, demand_of, length_fit, length_of
from muri_gen.curation.purity import PurityChecker

ARTICLES = {code: dict(declarations([code])[0].sections) for code in ("eng", "spa", "cat")}

# instructions written for one article each: what a person would ask to get that article as the answer
FITTING = {
    "article-4": ("Is slavery or the slave trade allowed in any form?",
                  "¿Está permitida la esclavitud o la trata de esclavos en alguna de sus formas?",
                  "Està permesa l'esclavitud o el tràfic d'esclaus en alguna de les seves formes?"),
    "article-5": ("Can anyone be tortured or given cruel or degrading punishment?",
                  "¿Se puede torturar a alguien o imponerle penas crueles o degradantes?",
                  "Es pot torturar algú o imposar-li penes cruels o degradants?"),
    "article-13": ("Do people have the right to move freely and to leave their own country?",
                   "¿Tienen las personas derecho a circular libremente y a salir de su propio país?",
                   "Tenen les persones dret a circular lliurement i a sortir del seu propi país?"),
    "article-16": ("At what age can men and women marry, and what rights do they have in marriage?",
                   "¿A qué edad pueden casarse hombres y mujeres y qué derechos tienen en el matrimonio?",
                   "A quina edat es poden casar homes i dones i quins drets tenen en el matrimoni?"),
    "article-26": ("Does everyone have a right to education, and should it be free?",
                   "¿Tiene toda persona derecho a la educación, y debe ser gratuita?",
                   "Té tota persona dret a l'educació, i ha de ser gratuïta?"),
}
GENERIC = ("hello, how are you today? what is your name?", "hola, ¿cómo estás hoy? ¿cómo te llamas?",
           "hola, com estàs avui? com et dius?")


@pytest.fixture(scope="module")
def purity():
    return PurityChecker()


def test_clean_native_instructions_are_pure(purity):
    for instruction, language in (("¿Tiene toda persona derecho a la educación, y debe ser gratuita?", "spa"),
                                  ("Té tota persona dret a l'educació, i ha de ser gratuïta?", "cat"),
                                  ("Ima li svatko pravo na obrazovanje?", "hrv"),
                                  ("Ĉu ĉiu havas la rajton je edukado?", "epo"),
                                  ("Имеет ли каждый человек право на образование?", "rus")):
        result = purity.check(instruction, language)
        assert result.value == 1.0 and not result.foreign and not result.artefacts, (language, result)


def test_english_left_in_an_instruction_is_found_word_by_word(purity):
    # the failures the raters saw: English words left in, Apertium artefacts, mixed scripts
    catalan = purity.check("hola, what és el més tardà en el matrimoni i divorci? i what és el pla per a la família?", "cat")
    assert catalan.foreign == ["what", "what"] and 0.85 < catalan.value < 0.95
    croatian = purity.check("The ispravan internetski pretraživač query would biti, parquoteWho i the one", "hrv")
    assert {"The", "query", "would", "the"} <= set(croatian.foreign)
    assert any("parquote" in a for a in croatian.artefacts) and croatian.value < 0.6
    russian = purity.check("Как работает the system of курсы?", "rus")
    assert russian.foreign == ["the", "system", "of"] and russian.value == 0.5
    marked = purity.check("¿Qué derechos tiene *everyone en la #sociedad?", "spa")
    assert marked.artefacts == ["*everyone", "#sociedad"]


def test_names_and_words_of_the_document_are_not_foreign(purity):
    document = ARTICLES["spa"]["article-14"]
    plain = purity.check("¿Puede pedir asilo una persona perseguida en Oxford?", "spa", document)
    assert plain.value == 1.0  # "Oxford" is unknown to both lexicons: not evidence of English


def test_degeneration_finds_loops_truncation_and_restated_prompts():
    # SmolLM2's words for UDHR article 25 (a search query that never stopped)
    loop = ("the law of the mother and the child and the children and the family and the marriage and the other family "
            "members and the other gender and the sex and the other family members and the other gender and the other "
            "family members and the other gender and the other family members and the other family members and the other "
            "gender and the other")
    assert degeneration(loop).value < 0.5
    assert degeneration("How does the law protect the family, and what does it say about marriage?").value == 1.0
    assert degeneration("What does the right to rest include?", "length").value == 0.0
    assert degeneration("What does the right to rest include?", "stop").value == 1.0
    assert degeneration("What does the right to rest include?").truncated is None  # finish reason unknown
    assert degeneration("This instruction must make sense without seeing the text.", "stop", prompt_overlap=1.0).value == 0.0


def test_length_demands_are_read_from_english_and_counted_in_the_native_answer():
    assert demand_of("Explain the right to asylum. Respond in 2 sentences.") == Demand(2, "sentences", "exact")
    assert demand_of("Write at most three paragraphs about it") == Demand(3, "paragraphs", "max")
    assert demand_of("Answer in 40 words.") == Demand(40, "words", "about")
    assert demand_of("What rights do 3 people have?") is None
    spanish = ARTICLES["spa"]["article-14"]  # two numbered paragraphs, one sentence each
    assert length_of(spanish, "spa", "sentences") == 2
    assert length_of(spanish, "spa", "words") == len(spanish.split())
    assert length_fit(Demand(2, "sentences", "exact"), 2) == 1.0
    assert length_fit(Demand(5, "sentences", "exact"), 2) == 0.4
    assert length_fit(Demand(3, "paragraphs", "max"), 2) == 1.0
    assert length_fit(Demand(40, "words", "about"), 36) == 1.0


@pytest.fixture(scope="module")
def embedders():
    use, e5 = USEEmbedder(USEEmbedder.Config()), E5Embedder(E5Embedder.Config())
    use.setup()
    e5.setup()
    return use, e5


def batch_of(side: str, instructions: dict[str, str]) -> list[Query]:
    """Queries for the given articles, then every other article of the declaration, as a pipeline
    batch holds them: English queries compare English documents, native ones native documents."""
    documents = ARTICLES[side]
    english = side == "eng"
    out = [Query(None, None, side, instruction, documents[article]) if english
           else Query(instruction, documents[article], side) for article, instruction in instructions.items()]
    out += [Query(None, None, side, None, text) if english else Query(None, text, side)
            for article, text in documents.items() if article not in instructions]
    return out


def side_value(score, side: str):
    return score.en if side == "eng" else score.native


def side_rank(score, side: str):
    return score.rank_en if side == "eng" else score.rank_native


@pytest.mark.parametrize("side", ["eng", "spa", "cat"])
def test_a_fitting_instruction_picks_its_own_article_and_a_generic_one_picks_none(embedders, side):
    use, e5 = embedders
    index = ("eng", "spa", "cat").index(side)
    scorer = AlignmentScorer(use, e5)
    fitting = scorer.score(batch_of(side, {article: texts[index] for article, texts in FITTING.items()}))[: len(FITTING)]
    assert all(side_rank(s, side) == 1.0 for s in fitting)  # each beats the declaration's 30 other articles
    values = [side_value(s, side) for s in fitting]
    assert min(values) > 0.25 and sum(values) / len(values) > 0.75, values
    for article in FITTING:  # "hello, what is your name?" beats some articles by chance, but stands out from none
        generic = scorer.score(batch_of(side, {article: GENERIC[index]}))[0]
        assert side_value(generic, side) < 0.25, (article, generic)


def test_the_native_side_is_measured_only_in_languages_the_embedder_knows(embedders):
    use, e5 = embedders
    assert use.covers("spa") and use.covers("por") and not use.covers("cat") and not use.covers("hbs")
    assert e5.covers("cat") and e5.covers("hbs") and e5.covers("epo") and e5.covers("glg")
    batch = batch_of("cat", {a: t[2] for a, t in FITTING.items()})
    assert all(s.native is None for s in AlignmentScorer(None, use).score(batch))
    assert all(s.native is not None for s in AlignmentScorer(None, e5).score(batch)[:5])


def test_human_written_text_is_pure_in_every_demo_language(purity):
    """The UDHR as people wrote it, sentence by sentence and without its document's help: at most 0.5%
    of the words may be called foreign, and at most 3% unknown (words neither simplemma's lexicon nor
    Apertium's analyser knows: Galician's older spellings "tódolos", Croatian "posegne")."""
    for code, language in (("spa", "spa"), ("cat", "cat"), ("glg", "glg"), ("epo", "epo"), ("hrv", "hrv"),
                           ("por_PT", "por"), ("ita", "ita"), ("fra", "fra"), ("rus", "rus"), ("deu_1996", "deu")):
        sentences = [sentence for _, text in declarations([code])[0].sections for sentence in text.split(". ")]
        results = purity.check_all([(sentence, language, "", ()) for sentence in sentences])
        words = sum(result.words for result in results)
        foreign = sum(len(result.foreign) + len(result.artefacts) for result in results)
        unknown = sum(len(result.unknown) for result in results)
        assert words > 1000 and foreign / words <= 0.005 and unknown / words <= 0.03, (language, foreign, unknown, words)


def test_serbian_cyrillic_is_judged_as_its_latin_spelling(purity):
    """Serbo-Croatian's lexicon and analyser know Latin spellings only: Cyrillic Serbian was all
    foreign to them. Read through its Latin transliteration, the UDHR in Serbian Cyrillic is as pure
    as in Latin, and a Cyrillic instruction gets the verdicts of its Latin spelling."""
    flagged, words = {}, {}
    for code, language in (("srp_cyrl", "srp"), ("srp_latn", "srp_Latn")):
        sentences = [sentence for _, text in declarations([code])[0].sections for sentence in text.split(". ")]
        results = purity.check_all([(sentence, language, "", ()) for sentence in sentences])
        words[language] = sum(result.words for result in results)
        flagged[language] = sorted(cyrtranslit.to_latin(w, "sr") for r in results for w in r.foreign + r.unknown + r.artefacts)
    # the same words either way; the lexicons lean Croatian: ekavian Serbian ("obezbede", "ubeđenje") is 3% unknown
    assert flagged["srp"] == flagged["srp_Latn"]
    assert words["srp"] > 1000 and len(flagged["srp"]) / words["srp"] <= 0.04, (len(flagged["srp"]), words)
    latin = purity.check("Napiši kratak sažetak filma the students i nastavnikimaqz.", "srp_Latn")
    cyrillic = purity.check("Напиши кратак сажетак филма the students и наставникимаqз.", "srp")
    assert (cyrillic.value, cyrillic.foreign, len(cyrillic.unknown)) == (latin.value, latin.foreign, len(latin.unknown))
    assert latin.foreign == ["the", "students"] and latin.value < 0.8
    assert purity.check("Напиши кратак сажетак филма.", "hbs").foreign  # Cyrillic where Latin is expected


def test_made_up_words_are_unknown_and_the_analyser_knows_the_lexicons_gaps(purity):
    # what translators left in rated demo pairs (instruction rated 2-3 of 5 for each)
    galician = purity.check("Cal é o dereito á protección da lei contra inxies ou ataques?", "glg")
    assert galician.unknown == ["inxies"] and not galician.foreign and galician.value < 1
    esperanto = purity.check("Kio estas la rajtojde la familio koncerne al geedziĝo?", "epo")
    assert esperanto.unknown == ["rajtojde"]
    # contractions simplemma lacks but Catalan's analyser knows; names stay names
    assert purity.check("Quins són els drets dels treballadors d'Oxford?", "cat").value == 1.0
    # a language without an analyser: no word is called unknown
    assert purity.check("Welche Rechte hat ein Zxqwerty?", "deu").unknown == []


def test_words_of_the_pivot_language_count_as_foreign_when_the_translation_went_through_it(purity):
    # English -> Portuguese (Bergamot) -> Spanish (Apertium) left "empregadores" where Spanish has "empleadores"
    instruction = "¿Por qué los empregadores pueden despedir a un trabajador?"
    assert purity.check(instruction, "spa").unknown == ["empregadores"]  # not Spanish, not known to be Portuguese
    through_portuguese = purity.check(instruction, "spa", contact=("por",))
    assert through_portuguese.foreign == ["empregadores"] and not through_portuguese.unknown
    assert purity.check("Os empregadores podem despedir um trabalhador?", "por", contact=("por",)).value == 1.0


def test_the_analyser_reads_its_stream_format_characters_as_text_one_line_per_instruction():
    from muri_gen.curation.analyser import unknown_words

    texts = ["Cal é [o] ^dereito$ / contra\ninxies?", "Cal é a lei?", "*reconchre @persoa #{lei}"]
    assert unknown_words(texts, "glg") == [{"inxies"}, set(), {"reconchre"}]
    assert unknown_words(["Welche Rechte?"], "deu") is None  # no analyser installed for German
